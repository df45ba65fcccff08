//! Rendering of plans, apply results and status as text, JSON and markdown.
//!
//! Pure string building: callers decide where the output goes (machine output to stdout,
//! everything else to stderr).

use std::fmt::Write as _;
use std::time::Duration;

use crate::apply::{ActionResult, ApplyReport};
use crate::plan::{Plan, PlannedResource};
use crate::record::{Outcome, State};
use crate::tcmpp::model::ApplyAction;

/// The plan's closing line, e.g. `Plan: 1 to submit, 2 to cancel, 3 unchanged.`
pub fn plan_summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut line = format!(
        "Plan: {} to submit, {} to cancel, {} unchanged",
        s.submit, s.cancel, s.none
    );
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
        .map(|c| c.chars().take(12).collect())
        .unwrap_or_else(|| "none (not a git repository)".to_string())
}

fn sign_of(r: &PlannedResource) -> (&'static str, &'static str) {
    match (r.action, &r.attention) {
        (Some(ApplyAction::Submit), _) => ("+", "submit"),
        (Some(ApplyAction::Cancel), _) => ("-", "cancel"),
        (None, Some(_)) => ("!", "attention"),
        (None, None) => (" ", "none"),
    }
}

/// Terraform-like text: one line per action and per attention item, then the summary.
/// `verbose` lists unchanged versions too.
pub fn plan_text(plan: &Plan, rate_limit: u32, verbose: bool) -> String {
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
    let key_width = shown
        .iter()
        .map(|r| r.key.to_string().len())
        .max()
        .unwrap_or(0);
    let name_width = shown
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let transition = |r: &PlannedResource| format!("{} → {}", r.observed, r.desired);
    let transition_width = shown
        .iter()
        .map(|r| transition(r).chars().count())
        .max()
        .unwrap_or(0);
    for r in &shown {
        let (sign, word) = sign_of(r);
        let note = r.attention.as_deref().unwrap_or(&r.reason);
        let _ = writeln!(
            out,
            "  {sign} {word:<9} {:<key_width$}  {:<name_width$}  {:<transition_width$}  ({note})",
            r.key.to_string(),
            r.name,
            transition(r),
        );
    }
    out.push('\n');
    if plan.has_changes() {
        out.push_str(&plan_summary_line(plan));
    } else {
        let _ = write!(
            out,
            "No changes. {} version(s) match their manifests",
            plan.summary.none
        );
        if plan.summary.attention > 0 {
            let _ = write!(out, "; {} need attention", plan.summary.attention);
        }
        out.push('.');
    }
    out.push('\n');
    if let Some(estimate) = duration_estimate(plan.summary.submit + plan.summary.cancel, rate_limit)
    {
        out.push_str(&estimate);
        out.push('\n');
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
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
            "attention" => "⚠️ attention".to_string(),
            _ => "none".to_string(),
        };
        let reason = match &r.attention {
            Some(a) => format!("{}: {}", a, r.reason),
            None => r.reason.clone(),
        };
        format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            cell(&r.key.to_string()),
            cell(&r.name),
            r.desired,
            r.observed,
            action,
            cell(&reason)
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
        "{:<17} {} {}  ({})",
        r.outcome.as_str(),
        r.key,
        r.name,
        r.action
    );
    if let Some(id) = &r.request_id {
        let _ = write!(line, "  RequestId {id}");
    }
    if r.attempts > 1 {
        let _ = write!(line, "  after {} attempts", r.attempts);
    }
    if !r.outcome.converged() {
        if let Some(code) = &r.error_code {
            let _ = write!(line, "  [{code}]");
        }
        if let Some(message) = &r.message {
            let _ = write!(line, "\n    {message}");
        }
    }
    line
}

/// The apply summary line, e.g. `Apply: 2 submitted, 1 failed.`
pub fn apply_summary_line(report: &ApplyReport) -> String {
    if report.results.is_empty() {
        return "Apply: no changes.".to_string();
    }
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter_map(|o| report.summary.get(o).map(|n| format!("{n} {o}")))
        .collect();
    let mut line = format!("Apply: {}.", parts.join(", "));
    if let Some(stopped) = &report.stopped {
        let _ = write!(line, " Stopped early: {stopped}.");
    }
    line
}

/// An RFC 3339 time to the second, for tables: `2026-11-28T05:16:48Z`.
fn seconds(rfc3339: &str) -> String {
    match (rfc3339.get(..19), rfc3339.ends_with('Z')) {
        (Some(head), true) => format!("{head}Z"),
        _ => rfc3339.to_string(),
    }
}

/// `status` as a table.
pub fn status_text(state: &State) -> String {
    if state.entries.is_empty() {
        return "No versions recorded yet.\n".to_string();
    }
    let mut rows = vec![[
        "VERSION".to_string(),
        "NAME".to_string(),
        "OBSERVED".to_string(),
        "LAST".to_string(),
        "OUTCOME".to_string(),
        "WHEN".to_string(),
        "COMMIT".to_string(),
        "REQUEST ID".to_string(),
    ]];
    for (key, e) in &state.entries {
        rows.push([
            key.to_string(),
            e.name.clone(),
            e.observed.to_string(),
            e.last_action
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
            e.last_outcome
                .map(|o| o.to_string())
                .unwrap_or_else(|| "-".into()),
            seconds(&e.updated_at),
            e.commit
                .as_deref()
                .map(|c| c.chars().take(12).collect())
                .unwrap_or_else(|| "-".into()),
            e.request_id.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
