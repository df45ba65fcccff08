//! Rendering of plans, apply results and status as text, JSON and markdown.
//!
//! Pure string building: callers decide where the output goes (machine output to stdout,
//! everything else to stderr). Every text that came from outside (names, keys, reasons, the
//! API's messages, commits read from the state file) passes through [`crate::text`]: escaped,
//! clipped, and padded without format widths, so no input can forge a line or panic a table.

use std::fmt::Write as _;
use std::time::Duration;

use crate::action::Action;
use crate::apply::{ActionResult, ApplyReport, HoldReason};
use crate::git::DIRTY;
use crate::plan::{Plan, PlannedResource};
use crate::record::{Outcome, State};
use crate::text::{MAX_CELL, clip, markdown_cell, pad};

/// The plan's closing line, e.g. `Plan: 1 to submit, 2 to cancel, 3 unchanged.`
pub fn plan_summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut line = format!("Plan: {} to submit, {} to cancel", s.submit, s.cancel);
    if s.release > 0 {
        let _ = write!(line, ", {} to release", s.release);
    }
    if s.rollback > 0 {
        let _ = write!(line, ", {} to roll back", s.rollback);
    }
    let _ = write!(line, ", {} unchanged", s.none);
    let deferred = plan
        .resources
        .iter()
        .filter(|r| r.deferred_until.is_some())
        .count();
    if deferred > 0 {
        let _ = write!(line, ", {deferred} deferred to a release window");
    }
    let held = plan
        .resources
        .iter()
        .filter(|r| r.needs_allow_rollback)
        .count();
    if held > 0 {
        let _ = write!(line, ", {held} need --allow-rollback");
    }
    if s.attention > 0 {
        let _ = write!(line, ", {} need attention", s.attention);
    }
    line.push('.');
    line
}

/// How long executing `calls` takes at `rate_limit` requests per second, when worth saying.
pub(crate) fn duration_estimate(calls: usize, rate_limit: u32) -> Option<String> {
    let seconds = calls as f64 / f64::from(rate_limit.max(1));
    (seconds >= 5.0).then(|| {
        let rounded = Duration::from_secs(seconds.ceil() as u64);
        format!(
            "Applying makes {calls} calls: about {} at {rate_limit} requests/s.",
            humantime::format_duration(rounded)
        )
    })
}

fn short(commit: &Option<String>) -> String {
    commit
        .as_deref()
        .map(|c| match c.strip_suffix(DIRTY) {
            Some(base) => format!("{}{DIRTY} (uncommitted changes)", clip(base, 18)),
            None => clip(c, 18),
        })
        .unwrap_or_else(|| "none (not a git repository)".to_string())
}

fn sign_of(r: &PlannedResource) -> (&'static str, &'static str) {
    match (r.action, &r.attention) {
        (Some(Action::Submit), _) => ("+", "submit"),
        (Some(Action::Cancel), _) => ("-", "cancel"),
        (Some(Action::Release), _) => ("~", "release"),
        (Some(Action::Rollback), _) => ("<", "rollback"),
        (None, Some(_)) => ("!", "attention"),
        (None, None) => (" ", "none"),
    }
}

/// Terraform-like text: one line per action and per attention item, then the summary.
/// `verbose` lists unchanged versions too, and the versions no longer managed (`unmanaged`:
/// in the records, declared by no manifest; without `verbose` only their count is said).
pub fn plan_text(plan: &Plan, rate_limit: u32, verbose: bool) -> String {
    plan_text_with(plan, rate_limit, verbose, &[])
}

/// [`plan_text`] with the versions no longer managed ([`crate::reconcile::unmanaged`]).
pub fn plan_text_with(
    plan: &Plan,
    rate_limit: u32,
    verbose: bool,
    unmanaged: &[crate::reconcile::Unmanaged],
) -> String {
    let mut out = String::new();
    let source = if plan.refreshed {
        "observed state refreshed from the API"
    } else {
        "observed state from the state file (not refreshed)"
    };
    let _ = writeln!(
        out,
        "mnpsync plan — commit {}; {source}",
        short(&plan.commit)
    );
    let shown: Vec<&PlannedResource> = plan
        .resources
        .iter()
        .filter(|r| verbose || r.action.is_some() || r.attention.is_some())
        .collect();
    if !shown.is_empty() {
        out.push('\n');
    }
    let rows: Vec<[String; 4]> = shown
        .iter()
        .map(|r| {
            let note = r.attention.as_deref().unwrap_or(&r.reason);
            [
                clip(&r.key.to_string(), MAX_CELL),
                clip(&r.name, MAX_CELL),
                transition(r),
                clip(note, MAX_CELL * 4),
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (key_width, name_width, transition_width) = (width(0), width(1), width(2));
    for (r, [key, name, transition, note]) in shown.iter().zip(&rows) {
        let (sign, word) = sign_of(r);
        let _ = writeln!(
            out,
            "  {sign} {} {}  {}  {}  ({note})",
            pad(word, 9),
            pad(key, key_width),
            pad(name, name_width),
            pad(transition, transition_width),
        );
    }
    if verbose && !unmanaged.is_empty() {
        if shown.is_empty() {
            out.push('\n');
        }
        for u in unmanaged {
            let _ = writeln!(
                out,
                "    {} {}  {}  {}  (no longer managed: in the records, declared by no manifest; --prune cancels what mnpsync submitted)",
                pad("unmanaged", 9),
                clip(&u.key.to_string(), MAX_CELL),
                clip(&u.name, MAX_CELL),
                u.observed,
            );
        }
    }
    out.push('\n');
    if plan.has_changes() {
        out.push_str(&plan_summary_line(plan));
    } else {
        let matching = plan
            .resources
            .iter()
            .filter(|r| r.action.is_none() && r.attention.is_none())
            .count();
        let _ = write!(
            out,
            "No changes. {matching} version(s) match their manifests"
        );
        if plan.summary.attention > 0 {
            let _ = write!(out, "; {} need attention", plan.summary.attention);
        }
        out.push('.');
    }
    out.push('\n');
    if !verbose && !unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "{} version(s) in the records are no longer managed (no manifest declares them; --all lists them).",
            unmanaged.len()
        );
    }
    if let Some(estimate) = duration_estimate(plan.summary.submit + plan.summary.cancel, rate_limit)
    {
        out.push_str(&estimate);
        out.push('\n');
    }
    out
}

/// The state column of a plan row: `processing → submitted` for a change, the observed state
/// alone for a version left as it is (`processing (in place)`, `approved (no call)` for an
/// attention item).
fn transition(r: &PlannedResource) -> String {
    match (r.action, &r.attention) {
        (Some(Action::Release | Action::Rollback), _) => format!("{} → online", r.observed),
        (Some(_), _) => format!("{} → {}", r.observed, r.desired),
        (None, Some(_)) => format!("{} (no call)", r.observed),
        (None, None) => format!("{} (in place)", r.observed),
    }
}

/// A pull-request comment: a table of changes and attention items, no-ops collapsed.
pub fn plan_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### mnpsync plan\n");
    let _ = writeln!(out, "**{}**\n", plan_summary_line(plan));
    let _ = writeln!(
        out,
        "Commit `{}`; {}.\n",
        short(&plan.commit),
        if plan.refreshed {
            "observed state refreshed from the API"
        } else {
            "observed state from the state file (not refreshed)"
        }
    );
    let header =
        "| version | name | desired | observed | action | reason |\n|---|---|---|---|---|---|\n";
    let row = |r: &PlannedResource| {
        let (_, word) = sign_of(r);
        let action = match word {
            "submit" => "➕ submit".to_string(),
            "cancel" => "➖ cancel".to_string(),
            "release" => "🚀 release".to_string(),
            "rollback" => "⏪ rollback".to_string(),
            "attention" => "⚠️ attention".to_string(),
            _ => "none".to_string(),
        };
        // The attention note says all the reason says, and more.
        let reason = r.attention.as_deref().unwrap_or(&r.reason);
        format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            markdown_cell(&r.key.to_string()),
            markdown_cell(&r.name),
            r.desired,
            r.observed,
            action,
            markdown_cell(reason)
        )
    };
    let (changes, rest): (Vec<&PlannedResource>, Vec<&PlannedResource>) = plan
        .resources
        .iter()
        .partition(|r| r.action.is_some() || r.attention.is_some());
    if changes.is_empty() {
        out.push_str("No changes.\n");
    } else {
        out.push_str(header);
        for r in changes {
            out.push_str(&row(r));
        }
    }
    if !rest.is_empty() {
        let _ = write!(
            out,
            "\n<details><summary>{} unchanged version(s)</summary>\n\n{header}",
            rest.len()
        );
        for r in rest {
            out.push_str(&row(r));
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// One line per action result.
pub fn result_line(r: &ActionResult) -> String {
    let mut line = format!(
        "{} {} {}  ({})",
        pad(r.outcome.as_str(), 17),
        clip(&r.key.to_string(), MAX_CELL),
        clip(&r.name, MAX_CELL),
        r.action
    );
    if let Some(id) = &r.request_id {
        let _ = write!(line, "  RequestId {}", clip(id, 64));
    }
    if r.attempts > 1 {
        let _ = write!(line, "  after {} attempts", r.attempts);
    }
    if !r.outcome.converged() {
        if let Some(code) = &r.error_code {
            let _ = write!(line, "  [{}]", clip(code, 96));
        }
        if let Some(message) = &r.message {
            let _ = write!(line, "\n    {}", clip(message, MAX_CELL * 4));
        }
    }
    line
}

/// One line per attention item, as the plan shows them: `  ! attention KEY NAME  (message)`.
pub fn attention_lines(report: &ApplyReport) -> String {
    let mut out = String::new();
    for item in &report.attention {
        let _ = writeln!(
            out,
            "  ! attention {} {}  ({})",
            clip(&item.key.to_string(), MAX_CELL),
            clip(&item.name, MAX_CELL),
            clip(&item.message, MAX_CELL * 4)
        );
    }
    out
}

/// One line per release or rollback held back: `  ~ deferred KEY NAME (release)  (why)`.
pub fn held_lines(report: &ApplyReport) -> String {
    let mut out = String::new();
    for h in &report.held {
        let word = match h.why {
            HoldReason::Deferred => "deferred",
            _ => "held",
        };
        let _ = writeln!(
            out,
            "  {} {} {} {}  ({})  ({})",
            if h.action == Action::Rollback {
                "<"
            } else {
                "~"
            },
            pad(word, 9),
            clip(&h.key.to_string(), MAX_CELL),
            clip(&h.name, MAX_CELL),
            h.action,
            clip(&h.message, MAX_CELL * 4)
        );
    }
    out
}

/// The apply summary line, e.g. `Apply: 2 submitted, 1 failed.`, with the attention count and
/// the releases held back.
pub fn apply_summary_line(report: &ApplyReport) -> String {
    let mut attention = match report.attention.len() {
        0 => String::new(),
        n => format!(" {n} need attention."),
    };
    let deferred = report
        .held
        .iter()
        .filter(|h| h.why == HoldReason::Deferred)
        .count();
    if deferred > 0 {
        let _ = write!(
            attention,
            " {deferred} deferred to the next release window."
        );
    }
    let decisions = report.held.len() - deferred;
    if decisions > 0 {
        let _ = write!(
            attention,
            " {decisions} rollback(s) not run: they need --allow-rollback."
        );
    }
    if report.results.is_empty() {
        return format!("Apply: no changes.{attention}");
    }
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter_map(|o| report.summary.get(o).map(|n| format!("{n} {o}")))
        .collect();
    let mut line = format!("Apply: {}.", parts.join(", "));
    if let Some(stopped) = &report.stopped {
        let _ = write!(line, " Stopped early: {}.", clip(stopped, MAX_CELL * 4));
    }
    line.push_str(&attention);
    line
}

/// An RFC 3339 time to the second, for tables: `2026-11-28T05:16:48Z`.
fn seconds(rfc3339: &str) -> String {
    match (rfc3339.get(..19), rfc3339.ends_with('Z')) {
        (Some(head), true) => format!("{head}Z"),
        _ => rfc3339.to_string(),
    }
}

/// How wide `status` shows a version's last message.
const STATUS_MESSAGE: usize = 80;

/// `status` as a table, after a first line naming the state directory it was read from
/// (`dir`). `declared` is the set of versions the manifests given to `status` declare: with it,
/// each row says whether its version is still declared; without it `status` cannot tell, and
/// says so.
pub fn status_text(
    state: &State,
    dir: &str,
    declared: Option<&std::collections::BTreeSet<crate::manifest::Key>>,
) -> String {
    let mut out = String::new();
    let count = state.entries.len();
    let _ = write!(
        out,
        "State directory {}: {count} version(s) recorded",
        clip(dir, MAX_CELL * 2)
    );
    match declared {
        Some(declared) => {
            let gone = state
                .entries
                .keys()
                .filter(|k| !declared.contains(*k))
                .count();
            if gone > 0 {
                let _ = write!(out, ", {gone} no longer declared by the manifests given");
            }
        }
        None if count > 0 => {
            out.push_str(" (pass the manifest PATHs to mark versions no longer declared)")
        }
        None => {}
    }
    out.push_str(".\n");
    if state.entries.is_empty() {
        out.push_str("No versions recorded yet.\n");
        return out;
    }
    let mut header: Vec<String> = [
        "VERSION",
        "NAME",
        "OBSERVED",
        "LAST",
        "OUTCOME",
        "WHEN",
        "COMMIT",
        "REQUEST ID",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    if declared.is_some() {
        header.push("MANIFEST".to_string());
    }
    header.push("MESSAGE".to_string());
    let mut rows = vec![header];
    for (key, e) in &state.entries {
        let mut row = vec![
            clip(&key.to_string(), MAX_CELL),
            clip(&e.name, MAX_CELL),
            e.observed.to_string(),
            e.last_action
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
            e.last_outcome
                .map(|o| o.to_string())
                .unwrap_or_else(|| "-".into()),
            clip(&seconds(&e.updated_at), 40),
            e.commit
                .as_deref()
                .map(|c| {
                    let short: String = c.chars().take(12).collect();
                    let dirty = if c.ends_with(DIRTY) { DIRTY } else { "" };
                    clip(&format!("{short}{dirty}"), 18)
                })
                .unwrap_or_else(|| "-".into()),
            e.request_id
                .as_deref()
                .map(|id| clip(id, 64))
                .unwrap_or_else(|| "-".into()),
        ];
        if let Some(declared) = declared {
            row.push(if declared.contains(key) {
                "declared".to_string()
            } else {
                "no longer declared".to_string()
            });
        }
        // The reviewer's words for a decided version (what to do next follows from them),
        // else the last action's message.
        let review = e.review.as_ref().map(|r| {
            let who = r.user.as_deref().unwrap_or("the reviewer");
            format!("{} by {who}{}", e.observed, r.describe())
        });
        row.push(
            review
                .as_deref()
                .or(e.message.as_deref())
                .map(|m| clip(m, STATUS_MESSAGE))
                .unwrap_or_else(|| "-".into()),
        );
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&online_text(state));
    out
}

/// Which version is online per mini program, as the records last saw it: `Online:` and one
/// line per mini program (nothing when no mini program is recorded).
fn online_text(state: &State) -> String {
    let programs = state.programs();
    if programs.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nOnline:\n");
    for (key, program) in &programs {
        let online = match program.online() {
            Ok(crate::observe::Online::Version(id)) => match program.version_of(id) {
                Some(version) => format!("{id} ({})", clip(version, MAX_CELL)),
                None => id.to_string(),
            },
            Ok(crate::observe::Online::Nothing) => "no version online".to_string(),
            Err(anomaly) => clip(&anomaly, MAX_CELL * 2),
        };
        let _ = writeln!(out, "  {}  {online}", clip(&key.to_string(), MAX_CELL * 2));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Approval, Key};
    use crate::plan::{Observed, PlannedResource, Summary};
    use crate::record::StateEntry;

    fn hostile() -> String {
        format!(
            "shop\n  + submit T/999 forged\u{1b}[31m\r{}",
            "x".repeat(70_000)
        )
    }

    fn no_control(text: &str) {
        for line in text.lines() {
            assert!(
                !line.chars().any(crate::text::is_unsafe),
                "control character in {line:?}"
            );
            assert!(!line.trim_start().starts_with("+ submit T/999"), "{line}");
        }
    }

    #[test]
    fn hostile_text_never_panics_or_reaches_the_output_raw() {
        let key = Key::new(hostile(), 1);
        let resource = PlannedResource {
            key: key.clone(),
            name: hostile(),
            source: "m.yaml:1".into(),
            platform_id: hostile(),
            mnp_version_id: 1,
            region: None,
            api: None,
            desired: Approval::Submitted,
            observed: Observed::Rejected,
            approvals: vec![],
            mnp_id: None,
            version: None,
            action: None,
            reason: hostile(),
            attention: Some(hostile()),
            pruned: false,
            needs_allow_rollback: false,
            deferred_until: None,
        };
        let plan = Plan {
            format_version: 1,
            commit: Some(hostile()),
            refreshed: true,
            resources: vec![resource],
            summary: Summary {
                attention: 1,
                ..Summary::default()
            },
        };
        let text = plan_text(&plan, 20, true);
        no_control(&text);
        assert!(text.len() < 4_000, "clipped: {} bytes", text.len());
        let md = plan_markdown(&plan);
        no_control(&md);
        assert!(!md.contains("\u{1b}") && !md.contains('\r'));
        let mut state = State::default();
        let mut entry = StateEntry::new(&hostile(), None, Observed::Processing);
        entry.request_id = Some(hostile());
        entry.commit = Some(hostile());
        state.entries.insert(key, entry);
        no_control(&status_text(&state, &hostile(), None));
    }
}
