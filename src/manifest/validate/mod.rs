//! Validation: documents → [`Resource`]s, every rule of one document, "did you mean".
//!
//! Every rule that fails records an error at the node that is wrong (see "Locations" in the
//! `manifest` docs) and validation goes on, so that one load reports every mistake at once.
//! Strings that reach reports (name, platform id, mini program id, version, region, label keys
//! and values) are held to the limits listed there: a length, and no character
//! [`crate::text::is_unsafe`] refuses. What each document declares is kept in [`Checked`] for
//! the rules across documents (`across`).
//!
//! The `version` part holds the rules of how a document names its version (`mnpVersionId` or
//! `version`); this file holds the rest.

mod version;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::yaml::{
    Loaded, Node, Pos, Scalar, flow_nesting_too_costly, load_documents, root_positions, short,
    snippet,
};
use super::{
    API_VERSION, Api, Approval, KIND, Key, Location, MAX_LABEL_KEY_CHARS, MAX_LABEL_VALUE_CHARS,
    MAX_MNP_ID_CHARS, MAX_NAME_CHARS, MAX_PLATFORM_ID_CHARS, MAX_REGION_CHARS, MAX_VERSION_CHARS,
    METADATA_FIELDS, ManifestError, Release, Resource, SPEC_FIELDS, TOP_FIELDS,
};

/// Validates a file's bytes; non-UTF-8 is an error located at the first invalid byte.
pub(crate) fn parse_bytes(path: &Path, bytes: &[u8]) -> (Vec<Checked>, Vec<ManifestError>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_text(path, text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by definition; lossy conversion cannot change it.
            let prefix = String::from_utf8_lossy(valid);
            let line = prefix.matches('\n').count() + 1;
            let last_line = prefix.rsplit('\n').next().unwrap_or("");
            let pos = Pos {
                line,
                column: last_line.chars().count() + 1,
            };
            let message = format!(
                "file is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            );
            (Vec::new(), vec![ManifestError::new(path, pos, message)])
        }
    }
}

/// Parses and validates one file's text, without duplicate checks.
pub(crate) fn parse_text(path: &Path, text: &str) -> (Vec<Checked>, Vec<ManifestError>) {
    // libyaml as bundled with serde_yaml misparses a byte-order mark; it is invisible to
    // users, so dropping it also keeps columns on the first line as editors show them.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(pos) = flow_nesting_too_costly(text) {
        let message = "too many `[`/`{` in one document to parse safely (deeply nested flow \
                       collections make the YAML parser quadratic)";
        return (Vec::new(), vec![ManifestError::new(path, pos, message)]);
    }
    let mut checker = Checker {
        path,
        text,
        errors: Vec::new(),
    };
    let loaded = load_documents(text);
    let count = loaded.len();
    let mut roots: Option<Vec<Option<Pos>>> = None;
    let mut root_pos = |index: usize| -> Pos {
        roots
            .get_or_insert_with(|| root_positions(text, count))
            .get(index)
            .copied()
            .flatten()
            .unwrap_or(Pos::START)
    };
    let mut checked = Vec::new();
    for (index, loaded) in loaded.into_iter().enumerate() {
        match loaded {
            Loaded::Empty => {}
            Loaded::Failed { message, pos } => {
                let pos = pos.unwrap_or_else(|| root_pos(index));
                checker.error(pos, message);
            }
            Loaded::Node(node, problems) => {
                let start = match &node {
                    Node::Map(entries) if !entries.is_empty() => node.first_pos(),
                    _ => None,
                };
                let start = start.unwrap_or_else(|| root_pos(index));
                let mut doc = checker.document(&node, start);
                if !problems.is_empty() {
                    doc.resource = None;
                }
                for (pos, message) in problems {
                    checker.error(pos.unwrap_or(start), message);
                }
                checked.push(doc);
            }
        }
    }
    (checked, checker.errors)
}

/// What validation learned from one document, even when it has errors: the name and identity
/// still take part in duplicate detection so that all errors are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Set only when the document has no errors.
    pub(crate) resource: Option<Resource>,
    pub(super) name: Option<(String, Pos)>,
    /// `(platformId, mnpVersionId)` and the position of the platform id, for a document that
    /// gives `mnpVersionId`.
    pub(super) key: Option<(Key, Pos)>,
    /// `(platformId, mnpId, version)` and the position of the version, for a document that
    /// gives `version`.
    pub(super) by_version: Option<(VersionKey, Pos)>,
    /// `(platformId, mnpId)` and the position of `online`, for a document with
    /// `release: online`.
    pub(super) release: Option<(String, String, Pos)>,
    /// `(platformId, region, position of the region)` when both are valid and the region is
    /// explicit.
    pub(super) region: Option<(String, String, Pos)>,
}

/// What a document's `spec` gives, each part set when it is valid.
#[derive(Default)]
struct SpecParts<'n> {
    /// `platformId` and its position.
    platform: Option<(&'n str, Pos)>,
    mnp_id: Option<(&'n str, Pos)>,
    version_id: Option<i64>,
    /// `version` and its position.
    version: Option<(&'n str, Pos)>,
    approval: Option<Approval>,
    /// `release` and the position of its value; `None` also when it is absent or null.
    release: Option<(Release, Pos)>,
    /// `None` when invalid; `Some(None)` when absent or null.
    api: Option<Option<Api>>,
    /// An explicit region and its position.
    region: Option<(&'n str, Pos)>,
}

/// The identity of a document that gives `spec.version`: `(platformId, mnpId, version)`.
pub(super) type VersionKey = (String, String, String);

/// Where a mapping sits, for messages.
#[derive(Clone, Copy)]
enum Scope {
    Top,
    Metadata,
    Spec,
}

impl Scope {
    fn phrase(self) -> &'static str {
        match self {
            Scope::Top => "at top level",
            Scope::Metadata => "in metadata",
            Scope::Spec => "in spec",
        }
    }

    /// The dotted path of a field in this scope.
    fn field(self, name: &str) -> String {
        match self {
            Scope::Top => name.to_string(),
            Scope::Metadata => format!("metadata.{name}"),
            Scope::Spec => format!("spec.{name}"),
        }
    }
}

/// A known field found in a mapping: its key's position and its value.
struct Field<'n> {
    key_pos: Pos,
    value: &'n Node,
}

struct Checker<'p> {
    path: &'p Path,
    /// The text being checked (without a byte-order mark): positions index into it.
    text: &'p str,
    errors: Vec<ManifestError>,
}

impl Checker<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors
            .push(ManifestError::new(self.path, pos, message.into()));
    }

    fn document(&mut self, root: &Node, start: Pos) -> Checked {
        let errors_before = self.errors.len();
        let mut checked = Checked::default();
        let Node::Map(entries) = root else {
            self.error(
                start,
                format!("document must be a mapping, found {}", root.describe()),
            );
            return checked;
        };
        let top = self.fields(entries, TOP_FIELDS, Scope::Top);

        match top.get("apiVersion") {
            Some(f) => self.exact(f, Scope::Top.field("apiVersion"), API_VERSION),
            None => self.missing(start, "apiVersion", Scope::Top),
        }
        match top.get("kind") {
            Some(f) => self.exact(f, Scope::Top.field("kind"), KIND),
            None => self.missing(start, "kind", Scope::Top),
        }

        let mut labels = Some(BTreeMap::new());
        match top.get("metadata") {
            None => self.missing(start, "metadata", Scope::Top),
            Some(f) => match self.mapping(f, "metadata") {
                None => labels = None,
                Some((entries, metadata_pos)) => {
                    let metadata = self.fields(entries, METADATA_FIELDS, Scope::Metadata);
                    match metadata.get("name") {
                        None => self.missing(metadata_pos, "name", Scope::Metadata),
                        Some(f) => {
                            checked.name = self
                                .identifier(f, Scope::Metadata.field("name"), MAX_NAME_CHARS)
                                .map(|(s, pos)| (s.to_string(), pos));
                        }
                    }
                    if let Some(f) = metadata.get("labels") {
                        labels = self.labels(f);
                    }
                }
            },
        }

        let mut spec = SpecParts::default();
        match top.get("spec") {
            None => self.missing(start, "spec", Scope::Top),
            Some(f) => {
                if let Some((entries, spec_pos)) = self.mapping(f, "spec") {
                    spec = self.spec(entries, spec_pos);
                }
            }
        }

        let platform = spec.platform.map(|(p, _)| p);
        if let (Some(platform), Some((region, pos))) = (platform, spec.region) {
            checked.region = Some((platform.to_string(), region.to_string(), pos));
        }
        if let (Some((platform, pos)), Some(id)) = (spec.platform, spec.version_id) {
            checked.key = Some((Key::new(platform, id), pos));
        }
        if let (Some(platform), Some((mnp_id, _)), Some((version, pos))) =
            (platform, spec.mnp_id, spec.version)
        {
            let key = (
                platform.to_string(),
                mnp_id.to_string(),
                version.to_string(),
            );
            checked.by_version = Some((key, pos));
        }
        if let (Some(platform), Some((mnp_id, _)), Some((Release::Online, pos))) =
            (platform, spec.mnp_id, spec.release)
        {
            checked.release = Some((platform.to_string(), mnp_id.to_string(), pos));
        }
        // Every check that fails records an error, so "no new errors" means every required part
        // is set, and exactly one of `mnpVersionId` and `version` is.
        if self.errors.len() == errors_before
            && let (Some((name, _)), Some(platform), Some(approval), Some(labels), Some(api)) =
                (&checked.name, platform, spec.approval, labels, spec.api)
        {
            // A document declared by `version` has no id yet: 0 is the placeholder.
            let id = spec.version_id.unwrap_or(0);
            checked.resource = Some(Resource {
                name: name.clone(),
                labels,
                key: Key::new(platform, id),
                mnp_id: spec.mnp_id.map(|(m, _)| m.to_string()),
                version: spec.version.map(|(v, _)| v.to_string()),
                version_at: spec.version.map(|(_, pos)| Location::at(self.path, pos)),
                approval,
                release: spec.release.map(|(r, _)| r),
                region: spec.region.map(|(r, _)| r.to_string()),
                api,
                source: Location::at(self.path, start),
            });
        }
        checked
    }

    /// The fields of `spec` and the rules between them.
    fn spec<'n>(&mut self, entries: &'n [(Node, Node)], spec_pos: Pos) -> SpecParts<'n> {
        let mut parts = SpecParts::default();
        let spec = self.fields(entries, SPEC_FIELDS, Scope::Spec);
        match spec.get("platformId") {
            None => self.missing(spec_pos, "platformId", Scope::Spec),
            Some(f) => {
                parts.platform =
                    self.identifier(f, Scope::Spec.field("platformId"), MAX_PLATFORM_ID_CHARS);
            }
        }
        // The same rule as `platformId`: both are ids the API hands out.
        if let Some(f) = spec.get("mnpId") {
            parts.mnp_id = self.identifier(f, Scope::Spec.field("mnpId"), MAX_MNP_ID_CHARS);
        }
        match (spec.get("mnpVersionId"), spec.get("version")) {
            (None, None) => self.error(
                spec_pos,
                "missing field in spec: one of `mnpVersionId` or `version`",
            ),
            (by_id, by_version) => {
                if let (Some(a), Some(b)) = (by_id, by_version) {
                    self.both_versions(a, b);
                }
                if let Some(f) = by_id {
                    parts.version_id = self.version_id(f);
                }
                if let Some(f) = by_version {
                    parts.version = self.version_string(f);
                    if !spec.contains_key("mnpId") {
                        self.needs_mnp_id(
                            f.key_pos,
                            "spec.version",
                            "a version string is looked up among the versions of one mini \
                             program",
                        );
                    }
                }
            }
        }
        match spec.get("approval") {
            None => self.missing(spec_pos, "approval", Scope::Spec),
            Some(f) => parts.approval = self.approval(f),
        }
        if let Some(f) = spec.get("release") {
            parts.release = self.release(f);
            if parts.release.is_some() {
                if !spec.contains_key("mnpId") {
                    self.needs_mnp_id(
                        f.key_pos,
                        "spec.release",
                        "the mini program whose online version it sets",
                    );
                }
                if parts.approval == Some(Approval::Cancelled) {
                    self.error(
                        f.key_pos,
                        "`spec.release: online` needs `spec.approval: submitted` (only an \
                         approved version can be released), found `cancelled`",
                    );
                }
            }
        }
        match spec.get("api") {
            Some(f) => parts.api = self.api(f),
            None => parts.api = Some(None),
        }
        if let Some(f) = spec.get("region") {
            // An explicit null means "no region", like omitting the field.
            if !matches!(f.value, Node::Scalar(Scalar::Null, _)) {
                parts.region = self.identifier(f, Scope::Spec.field("region"), MAX_REGION_CHARS);
                if let Some((region, pos)) = parts.region
                    && let Some(why) = super::regions::malformed(region)
                {
                    self.error(pos, why);
                    parts.region = None;
                }
            }
        }
        parts
    }

    /// `mnpVersionId` and `version` both given: an error at the later key, naming the earlier.
    fn both_versions(&mut self, by_id: &Field<'_>, by_version: &Field<'_>) {
        let ((first, first_pos), (second, second_pos)) = if by_id.key_pos <= by_version.key_pos {
            (
                ("mnpVersionId", by_id.key_pos),
                ("version", by_version.key_pos),
            )
        } else {
            (
                ("version", by_version.key_pos),
                ("mnpVersionId", by_id.key_pos),
            )
        };
        let first_at = Location::at(self.path, first_pos);
        self.error(
            second_pos,
            format!(
                "field `{second}` in spec conflicts with `{first}` at {first_at}: give one of \
                 `mnpVersionId` or `version`, not both"
            ),
        );
    }

    /// `spec.mnpId` is missing, and `field` (its key at `pos`) needs it, because of `why`.
    fn needs_mnp_id(&mut self, pos: Pos, field: &str, why: &str) {
        self.error(
            pos,
            format!("`{field}` needs `spec.mnpId` ({why}), which is missing"),
        );
    }

    /// The known fields of a mapping, reporting unknown, duplicate and non-scalar keys.
    fn fields<'n>(
        &mut self,
        entries: &'n [(Node, Node)],
        known: &'static [&'static str],
        scope: Scope,
    ) -> HashMap<&'static str, Field<'n>> {
        let mut found: HashMap<&'static str, Field<'n>> = HashMap::new();
        for (key, value) in entries {
            let Node::Scalar(_, key_pos) = key else {
                let pos = key.first_pos().or_else(|| value.first_pos());
                let pos = pos.unwrap_or(Pos::START);
                self.error(
                    pos,
                    format!(
                        "unsupported key ({}) {}: keys must be strings",
                        key.describe(),
                        scope.phrase()
                    ),
                );
                continue;
            };
            let key_pos = *key_pos;
            let text = key.key_text().unwrap_or_default();
            let is_string = matches!(key, Node::Scalar(Scalar::Str(_), _));
            match known.iter().find(|k| is_string && **k == text) {
                Some(&name) => {
                    if let Some(first) = found.get(name) {
                        let first = Location::at(self.path, first.key_pos);
                        self.error(
                            key_pos,
                            format!(
                                "duplicate field `{name}` {}, first defined at {first}",
                                scope.phrase()
                            ),
                        );
                    } else {
                        found.insert(name, Field { key_pos, value });
                    }
                }
                None => {
                    let hint = match closest(&text, known) {
                        Some(suggestion) => format!(", did you mean `{suggestion}`?"),
                        None => format!(
                            " (expected one of {})",
                            known
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.error(
                        key_pos,
                        format!("unknown field `{}` {}{hint}", short(&text), scope.phrase()),
                    );
                }
            }
        }
        found
    }

    fn missing(&mut self, pos: Pos, name: &str, scope: Scope) {
        self.error(pos, format!("missing field `{name}` {}", scope.phrase()));
    }

    /// A field that must be a mapping; returns its entries and the position of its key.
    fn mapping<'n>(&mut self, f: &Field<'n>, name: &str) -> Option<(&'n [(Node, Node)], Pos)> {
        match f.value {
            Node::Map(entries) => Some((entries, f.key_pos)),
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{name}`: expected a mapping, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// A string field with exactly one allowed value (`apiVersion`, `kind`).
    fn exact(&mut self, f: &Field<'_>, field: String, expected: &str) {
        match f.value {
            Node::Scalar(Scalar::Str(s), _) if s == expected => {}
            Node::Scalar(Scalar::Str(s), pos) => self.error(
                *pos,
                format!(
                    "invalid value for `{field}`: expected `{expected}`, found `{}`",
                    short(s)
                ),
            ),
            other => self.error(
                other.pos_or(f.key_pos),
                format!(
                    "invalid type for `{field}`: expected `{expected}`, found {}",
                    other.describe()
                ),
            ),
        }
    }

    /// A non-empty string of at most `max` characters, without surrounding whitespace or
    /// unsafe characters (names, ids, regions).
    fn identifier<'n>(
        &mut self,
        f: &Field<'n>,
        field: String,
        max: usize,
    ) -> Option<(&'n str, Pos)> {
        match f.value {
            Node::Scalar(Scalar::Str(s), pos) => {
                if s.trim().is_empty() {
                    self.error(
                        *pos,
                        format!("invalid value for `{field}`: must not be empty"),
                    );
                    None
                } else if let Some(problem) = text_problem(s, max) {
                    self.error(*pos, format!("invalid value for `{field}`: {problem}"));
                    None
                } else if s.trim() != s {
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{field}`: must not have leading or trailing \
                             whitespace, found {}",
                            snippet(s)
                        ),
                    );
                    None
                } else {
                    Some((s.as_str(), *pos))
                }
            }
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{field}`: expected a string, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    fn approval(&mut self, f: &Field<'_>) -> Option<Approval> {
        self.choice(f, "spec.approval", &["submitted", "cancelled"])
    }

    /// `spec.release`: `online`; null means no release, like omitting it. Returns the value's
    /// position too (the rule across documents points at it).
    fn release(&mut self, f: &Field<'_>) -> Option<(Release, Pos)> {
        // Words people use for "online" that no edit distance finds, and words for the opposite
        // (which `offline` is also too close to `online` to be taken for a typo of).
        const ALIASES: &[&str] = &["released", "release", "live", "published", "publish"];
        const OPPOSITES: &[&str] = &["offline", "none", "no", "never", "off"];
        let pos = match f.value {
            Node::Scalar(Scalar::Null, _) => return None,
            other => other.pos_or(f.key_pos),
        };
        let release = self.choice_with(f, "spec.release", &["online"], |s| {
            let s = s.to_lowercase();
            if ALIASES.contains(&s.as_str()) {
                Some(", did you mean `online`?".to_string())
            } else if OPPOSITES.contains(&s.as_str()) {
                Some(" (to leave the version unreleased, omit `spec.release`)".to_string())
            } else {
                None
            }
        })?;
        Some((release, pos))
    }

    /// `spec.api`: `tcmpp` or `tcsas`; null means the client's default, like omitting it.
    fn api(&mut self, f: &Field<'_>) -> Option<Option<Api>> {
        if matches!(f.value, Node::Scalar(Scalar::Null, _)) {
            return Some(None);
        }
        self.choice(f, "spec.api", &["tcmpp", "tcsas"]).map(Some)
    }

    /// A string that must be one of `options` (spelled as `T` parses them).
    fn choice<T: std::str::FromStr>(
        &mut self,
        f: &Field<'_>,
        field: &str,
        options: &[&str],
    ) -> Option<T> {
        self.choice_with(f, field, options, |_| None)
    }

    /// [`Checker::choice`], where `hint` gives the end of the message for a wrong value when it
    /// knows better than "did you mean" the closest option.
    fn choice_with<T: std::str::FromStr>(
        &mut self,
        f: &Field<'_>,
        field: &str,
        options: &[&str],
        hint: impl Fn(&str) -> Option<String>,
    ) -> Option<T> {
        let expected = options
            .iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        match f.value {
            Node::Scalar(Scalar::Str(s), pos) => match s.parse() {
                Ok(value) => Some(value),
                Err(_) => {
                    let hint = hint(s)
                        .or_else(|| closest(s, options).map(|c| format!(", did you mean `{c}`?")))
                        .unwrap_or_default();
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{field}`: expected {expected}, found `{}`{hint}",
                            short(s)
                        ),
                    );
                    None
                }
            },
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{field}`: expected {expected}, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// `metadata.labels`: a string → string mapping; null means no labels.
    fn labels(&mut self, f: &Field<'_>) -> Option<BTreeMap<String, String>> {
        let entries = match f.value {
            Node::Scalar(Scalar::Null, _) => return Some(BTreeMap::new()),
            Node::Map(entries) => entries,
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `metadata.labels`: expected a mapping, found {}",
                        other.describe()
                    ),
                );
                return None;
            }
        };
        let mut labels = BTreeMap::new();
        let mut first_pos: HashMap<&str, Pos> = HashMap::new();
        let mut ok = true;
        for (key, value) in entries {
            let (name, key_pos) = match key {
                Node::Scalar(Scalar::Str(s), pos) if s.is_empty() => {
                    self.error(
                        *pos,
                        "invalid label key in `metadata.labels`: must not be empty",
                    );
                    ok = false;
                    continue;
                }
                Node::Scalar(Scalar::Str(s), pos) => {
                    if let Some(problem) = text_problem(s, MAX_LABEL_KEY_CHARS) {
                        self.error(
                            *pos,
                            format!("invalid label key in `metadata.labels`: {problem}"),
                        );
                        ok = false;
                        continue;
                    }
                    (s.as_str(), *pos)
                }
                other => {
                    let pos = other.first_pos().unwrap_or(f.key_pos);
                    self.error(
                        pos,
                        format!(
                            "invalid type for label key in `metadata.labels`: expected a \
                             string, found {}",
                            other.describe()
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            if let Some(first) = first_pos.get(name) {
                let first = Location::at(self.path, *first);
                self.error(
                    key_pos,
                    format!(
                        "duplicate label `{}` in metadata.labels, first defined at {first}",
                        short(name)
                    ),
                );
                ok = false;
                continue;
            }
            first_pos.insert(name, key_pos);
            match value {
                Node::Scalar(Scalar::Str(v), pos) => {
                    if let Some(problem) = text_problem(v, MAX_LABEL_VALUE_CHARS) {
                        self.error(
                            *pos,
                            format!(
                                "invalid value for `metadata.labels.{}`: {problem}",
                                short(name)
                            ),
                        );
                        ok = false;
                    } else {
                        labels.insert(name.to_string(), v.clone());
                    }
                }
                other => {
                    self.error(
                        other.pos_or(key_pos),
                        format!(
                            "invalid type for `metadata.labels.{}`: expected a string, found {}",
                            short(name),
                            other.describe()
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(labels)
    }
}

/// What is wrong with a string that reaches reports, if anything: a character that
/// [`crate::text::is_unsafe`] refuses (named as an escape, never as itself), or more than `max`
/// characters (the value is not quoted, only its length).
fn text_problem(s: &str, max: usize) -> Option<String> {
    if let Some(c) = s.chars().find(|c| crate::text::is_unsafe(*c)) {
        return Some(format!(
            "must not contain control or bidirectional-override characters, found `{}`",
            c.escape_default()
        ));
    }
    let chars = s.chars().count();
    (chars > max).then(|| format!("too long ({chars} characters; the limit is {max})"))
}

/// The known name closest to `word`, if it is close enough to be a likely typo.
///
/// Compares case-insensitively with the optimal-string-alignment distance (a transposition
/// counts as one edit) and accepts up to a third of the longer word (at least one edit).
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let word = word.to_lowercase();
    let word_len = word.chars().count();
    // Beyond this, no known name can be within a third of the length.
    if word_len > 64 {
        return None;
    }
    known
        .iter()
        .map(|k| {
            let candidate = k.to_lowercase();
            let distance = strsim::osa_distance(&word, &candidate);
            (distance, candidate.chars().count(), *k)
        })
        .filter(|(d, len, _)| *d <= (word_len.max(*len) / 3).max(1))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_only_likely_typos() {
        let cases = [
            ("approvl", Some("approval")),
            ("platformid", Some("platformId")),
            ("mnpVersion", Some("mnpVersionId")),
            ("regoin", Some("region")),
            ("mnpid", Some("mnpId")),
            ("versoin", Some("version")),
            ("relase", Some("release")),
            ("versionId", Some("version")),
            ("colour", None),
            ("x", None),
        ];
        for (word, expected) in cases {
            assert_eq!(closest(word, SPEC_FIELDS), expected, "{word}");
        }
    }
}
