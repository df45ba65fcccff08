//! File events: which paths are watched (directories recursively, files through their
//! directory, symlink swaps followed) and which debounced events can change the manifest set.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{ModifyKind, RemoveKind};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

/// A watched manifest path, resolved (symlinks followed) to what is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Root {
    /// A directory, watched recursively.
    Dir(PathBuf),
    /// A single file, watched through its directory.
    File(PathBuf),
}

impl Root {
    /// The path handed to the watcher and how.
    fn target(&self) -> (&Path, RecursiveMode) {
        match self {
            Root::Dir(dir) => (dir, RecursiveMode::Recursive),
            Root::File(file) => (
                file.parent().unwrap_or(Path::new("/")),
                RecursiveMode::NonRecursive,
            ),
        }
    }
}

/// What is at a path now, for [`is_relevant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Missing,
    File,
    Dir,
}

impl Entry {
    /// Looks at the file system.
    pub fn probe(path: &Path) -> Entry {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::File,
            Err(_) => Entry::Missing,
        }
    }
}

/// Whether a (debounced) file event can change the manifest set.
///
/// Relevant: anything about an explicitly given file; under a watched directory, events about
/// `*.yaml`/`*.yml` paths (an editor's atomic rename counts through its target), and renames or
/// removals of directories (which may carry manifests away). Ignored: reads, hidden paths
/// (`.git/`, `.foo.yaml.swp`, as the loader skips them), other files (`foo.yaml~`, `4913`).
/// A renamed or removed path that no longer exists counts as a directory when it has no
/// extension. `rescan` (the watcher lost events) is always relevant.
pub(crate) fn is_relevant(
    kind: &EventKind,
    paths: &[PathBuf],
    rescan: bool,
    roots: &[Root],
    probe: impl Fn(&Path) -> Entry,
) -> bool {
    if rescan {
        return true;
    }
    if matches!(kind, EventKind::Access(_)) {
        return false;
    }
    let structural = matches!(
        kind,
        EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_)
    );
    let about = |path: &Path, root: &Root| -> bool {
        let dir = match root {
            Root::File(file) => return path == file,
            Root::Dir(dir) => dir,
        };
        let Ok(relative) = path.strip_prefix(dir) else {
            return false;
        };
        let hidden = relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if hidden {
            return false;
        }
        if crate::manifest::discover::is_manifest_name(path) {
            return true;
        }
        if !structural {
            return false;
        }
        if relative.as_os_str().is_empty() {
            // The watched directory itself went away or moved.
            return true;
        }
        match kind {
            EventKind::Remove(RemoveKind::File) => false,
            EventKind::Remove(RemoveKind::Folder) => true,
            _ => match probe(path) {
                Entry::Dir => true,
                Entry::File => false,
                Entry::Missing => path.extension().is_none(),
            },
        }
    };
    paths
        .iter()
        .any(|path| roots.iter().any(|root| about(path, root)))
}

/// The debounced watcher and what it watches for each configured path.
pub(super) struct FileWatcher {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    /// Per configured path: the root watched and the identity of the watched directory, to
    /// notice a symlink swapped (git-sync) or a directory deleted and recreated.
    watched: Vec<(PathBuf, Option<Watched>)>,
}

/// What is watched for a path, and the identity of the watched directory.
type Watched = (Root, Option<notify_debouncer_full::file_id::FileId>);

impl FileWatcher {
    pub(super) fn new(
        debounce: Duration,
        events: mpsc::UnboundedSender<DebounceEventResult>,
    ) -> notify::Result<FileWatcher> {
        // The debouncer emits an event `debounce` after it happened, checked every tick: a fine
        // tick keeps the reaction close to `debounce`.
        let tick = (debounce / 10).max(Duration::from_millis(5)).min(debounce);
        let debouncer = new_debouncer(debounce, Some(tick), move |result| {
            let _ = events.send(result);
        })?;
        Ok(FileWatcher {
            debouncer,
            watched: Vec::new(),
        })
    }

    pub(super) fn roots(&self) -> Vec<Root> {
        self.watched
            .iter()
            .filter_map(|(_, w)| w.as_ref().map(|(root, _)| root.clone()))
            .collect()
    }

    /// Watches each path where it resolves now; re-watches when that changed.
    pub(super) fn sync(&mut self, paths: &[PathBuf]) {
        for path in paths {
            let wanted = resolve(path);
            let index = match self.watched.iter().position(|(p, _)| p == path) {
                Some(i) => i,
                None => {
                    self.watched.push((path.clone(), None));
                    self.watched.len() - 1
                }
            };
            if self.watched[index].1 == wanted {
                continue;
            }
            if let Some((old, _)) = self.watched[index].1.take() {
                // Fails when the watched directory is gone, which removed the watch already.
                let _ = self.debouncer.unwatch(old.target().0);
            }
            match wanted {
                Some((root, id)) => {
                    let (target, mode) = root.target();
                    match self.debouncer.watch(target, mode) {
                        Ok(()) => {
                            tracing::debug!(path = %path.display(), watched = %target.display(), "watching");
                            self.watched[index].1 = Some((root, id));
                        }
                        Err(e) => tracing::warn!(
                            "cannot watch {}: {e}; changes there are picked up every --interval",
                            path.display()
                        ),
                    }
                }
                None => tracing::warn!(
                    "cannot watch {}: it does not exist; watching again once it does",
                    path.display()
                ),
            }
        }
    }
}

fn resolve(path: &Path) -> Option<Watched> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let root = if canonical.is_dir() {
        Root::Dir(canonical)
    } else {
        Root::File(canonical)
    };
    let id = notify_debouncer_full::file_id::get_file_id(root.target().0).ok();
    Some((root, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, DataChange, RenameMode};

    pub(super) fn roots() -> Vec<Root> {
        vec![
            Root::Dir(PathBuf::from("/m")),
            Root::File(PathBuf::from("/other/app.conf")),
        ]
    }

    fn relevant(kind: EventKind, paths: &[&str], probe: Entry) -> bool {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        is_relevant(&kind, &paths, false, &roots(), |_| probe)
    }

    #[test]
    fn event_relevance_table() {
        use EventKind::{Access, Create, Modify, Remove};
        let data = Modify(ModifyKind::Data(DataChange::Any));
        let rename = Modify(ModifyKind::Name(RenameMode::Both));
        let from = Modify(ModifyKind::Name(RenameMode::From));
        let rows: &[(EventKind, &[&str], Entry, bool)] = &[
            (data, &["/m/a.yaml"], Entry::File, true),
            (data, &["/m/sub/b.yml"], Entry::File, true),
            (
                Create(CreateKind::File),
                &["/m/new.yaml"],
                Entry::File,
                true,
            ),
            (
                Remove(RemoveKind::File),
                &["/m/a.yaml"],
                Entry::Missing,
                true,
            ),
            // Editors' temp and backup files.
            (Create(CreateKind::File), &["/m/4913"], Entry::File, false),
            (
                Remove(RemoveKind::File),
                &["/m/4913"],
                Entry::Missing,
                false,
            ),
            (data, &["/m/a.yaml~"], Entry::File, false),
            (data, &["/m/.a.yaml.swp"], Entry::File, false),
            (data, &["/m/.#a.yaml"], Entry::File, false),
            // An atomic save: temp file renamed over the manifest.
            (
                rename,
                &["/m/a.yaml.tmp123", "/m/a.yaml"],
                Entry::File,
                true,
            ),
            // A backup rename away from the manifest (vim's writebackup).
            (rename, &["/m/a.yaml", "/m/a.yaml~"], Entry::File, true),
            // Hidden directories are skipped like the loader skips them.
            (data, &["/m/.git/x.yaml"], Entry::File, false),
            (
                rename,
                &["/m/.git/index.lock", "/m/.git/index"],
                Entry::File,
                false,
            ),
            // Directory renames and removals.
            (rename, &["/m/old", "/m/new"], Entry::Dir, true),
            (
                Remove(RemoveKind::Folder),
                &["/m/team"],
                Entry::Missing,
                true,
            ),
            (from, &["/m/team"], Entry::Missing, true),
            (from, &["/m/notes.txt"], Entry::Missing, false),
            (Remove(RemoveKind::Any), &["/m"], Entry::Missing, true),
            (Create(CreateKind::Folder), &["/m/empty"], Entry::Dir, false),
            // Reads never matter.
            (Access(AccessKind::Any), &["/m/a.yaml"], Entry::File, false),
            // An explicitly given file, whatever its name; its siblings do not matter.
            (data, &["/other/app.conf"], Entry::File, true),
            (
                rename,
                &["/other/tmp", "/other/app.conf"],
                Entry::File,
                true,
            ),
            (data, &["/other/x.yaml"], Entry::File, false),
            // Outside every root.
            (data, &["/elsewhere/a.yaml"], Entry::File, false),
        ];
        for (kind, paths, probe, expected) in rows {
            assert_eq!(
                relevant(*kind, paths, *probe),
                *expected,
                "{kind:?} {paths:?} {probe:?}"
            );
        }
        assert!(is_relevant(&EventKind::Other, &[], true, &roots(), |_| {
            Entry::Missing
        }));
    }
}
