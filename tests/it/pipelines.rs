//! The CI examples (`examples/github-actions.yml`, `examples/gitlab-ci.yml`): both parse as YAML,
//! and every `mnpsync …` command in their shell steps uses a subcommand and flags that the binary
//! accepts. The truth comes from the binary itself (`mnpsync --help`, `mnpsync SUB --help`), not
//! from a list kept here, so a renamed or removed flag breaks this test, not a user's pipeline.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use crate::util::{mnpsync, repo_file};

const GITHUB: &str = "examples/github-actions.yml";
const GITLAB: &str = "examples/gitlab-ci.yml";
/// Keys whose values are shell commands, per file.
const GITHUB_SHELL_KEYS: &[&str] = &["run"];
const GITLAB_SHELL_KEYS: &[&str] = &["script", "before_script", "after_script"];

fn parse(path: &str) -> Value {
    serde_yaml::from_str(&repo_file(path))
        .unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

// ---------------------------------------------------------------------------------------------
// What the binary accepts, from its help.
// ---------------------------------------------------------------------------------------------

/// `mnpsync ARGS` with nothing from the environment that clap would read (or show in the help).
fn help(args: &[&str]) -> String {
    let output = mnpsync(args).output().expect("mnpsync runs");
    assert!(output.status.success(), "mnpsync {args:?} --help fails");
    String::from_utf8(output.stdout).unwrap()
}

/// The options a help text lists: `--long` and `-s` names, each with whether it takes a value
/// (`--out <OUT>`).
fn options_of(help: &str) -> BTreeMap<String, bool> {
    let mut options = BTreeMap::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        // e.g. `-v, --verbose...  More logging` or `--out <OUT>  Save the plan`.
        let spec = line.split("  ").next().unwrap_or_default();
        let takes_value = spec.contains('<');
        for word in spec.split([',', ' ']) {
            let name: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name.starts_with('-') && name.len() > 1 {
                options.insert(name, takes_value);
            }
        }
    }
    options
}

/// The subcommands `mnpsync --help` lists.
fn subcommands_of(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The binary's command line, read once per test.
struct Cli {
    global: BTreeMap<String, bool>,
    subcommands: BTreeMap<String, BTreeMap<String, bool>>,
}

impl Cli {
    fn from_binary() -> Cli {
        let top = help(&["--help"]);
        let subcommands = subcommands_of(&top)
            .into_iter()
            .map(|sub| {
                let options = options_of(&help(&[&sub, "--help"]));
                (sub, options)
            })
            .collect();
        Cli {
            global: options_of(&top),
            subcommands,
        }
    }

    /// Every problem of one invocation: an unknown subcommand, unknown flags.
    fn check(&self, invocation: &Invocation) -> Vec<String> {
        let mut problems = Vec::new();
        let mut words = invocation.args.iter();
        let mut sub = None;
        // Global flags may come before the subcommand.
        while let Some(word) = words.next() {
            if let Some(flag) = flag_name(word) {
                match self.global.get(flag) {
                    Some(true) if !word.contains('=') => {
                        words.next();
                    }
                    Some(_) => {}
                    None => problems.push(format!("unknown global flag {flag}")),
                }
            } else {
                sub = Some(word.as_str());
                break;
            }
        }
        let Some(sub) = sub else {
            problems.push("no subcommand".to_string());
            return problems;
        };
        let Some(options) = self.subcommands.get(sub) else {
            problems.push(format!("unknown subcommand {sub}"));
            return problems;
        };
        for word in words {
            if let Some(flag) = flag_name(word)
                && !options.contains_key(flag)
            {
                problems.push(format!("`mnpsync {sub}` has no flag {flag}"));
            }
        }
        problems
    }
}

/// `--out` of `--out=plan.json`, `-v` of `-v`; `None` for other words (and for `-`).
fn flag_name(word: &str) -> Option<&str> {
    (word.starts_with('-') && word.len() > 1).then(|| word.split('=').next().unwrap_or(word))
}

// ---------------------------------------------------------------------------------------------
// Finding `mnpsync …` in shell steps.
// ---------------------------------------------------------------------------------------------

/// Every shell text under the given keys, anywhere in the document (strings or lists of strings).
fn shell_texts(value: &Value, keys: &[&str], out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                if k.as_str().is_some_and(|k| keys.contains(&k)) {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        Value::Sequence(items) => {
                            out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                        }
                        other => panic!("{k:?} is neither a string nor a list: {other:?}"),
                    }
                } else {
                    shell_texts(v, keys, out);
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| shell_texts(v, keys, out)),
        Value::Tagged(tagged) => shell_texts(&tagged.value, keys, out),
        _ => {}
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    /// Ends a command: newline, `;`, `|`, `&`, `(`, `)`, a backquote.
    Separator,
    /// `>`, `<` (with `>>`, `2>` …): the next word is a file, not an argument.
    Redirect,
}

/// A small shell tokenizer: quotes make one word (a quoted `mnpsync` in an `echo` is no
/// command), `#` starts a comment at the start of a word, backslash-newline continues a line.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(escaped) => {
                    word.push(escaped);
                    in_word = true;
                }
            },
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    word.push(q);
                }
            }
            '#' if !in_word => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ' ' | '\t' => end_word(&mut word, &mut in_word, &mut tokens),
            '\n' | ';' | '|' | '&' | '(' | ')' | '`' => {
                end_word(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Separator);
            }
            '>' | '<' => {
                // `2>`: the descriptor is part of the redirection, not a word.
                if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                end_word(&mut word, &mut in_word, &mut tokens);
                while chars.peek().is_some_and(|&n| n == '>' || n == '<') {
                    chars.next();
                }
                if chars.peek() == Some(&'&') {
                    // `2>&1`: a descriptor follows, not a file.
                    chars.next();
                    while chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                        chars.next();
                    }
                    continue;
                }
                tokens.push(Token::Redirect);
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// One `mnpsync` command: its arguments up to the end of the command, redirections left out.
#[derive(Debug)]
struct Invocation {
    args: Vec<String>,
}

impl std::fmt::Display for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mnpsync {}", self.args.join(" "))
    }
}

/// Words that may stand before a command at the start of a command.
const PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "{",
];

fn invocations(text: &str) -> Vec<Invocation> {
    let mut found = Vec::new();
    let mut tokens = tokenize(text).into_iter().peekable();
    let mut at_start = true;
    while let Some(token) = tokens.next() {
        let word = match token {
            Token::Separator => {
                at_start = true;
                continue;
            }
            Token::Redirect => {
                tokens.next();
                continue;
            }
            Token::Word(word) => word,
        };
        let is_assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if at_start && (is_assignment || PREFIXES.contains(&word.as_str())) {
            continue;
        }
        if at_start && (word == "mnpsync" || word.ends_with("/mnpsync")) {
            let mut args = Vec::new();
            while let Some(next) = tokens.peek() {
                match next {
                    Token::Separator => break,
                    Token::Redirect => {
                        tokens.next();
                        tokens.next();
                    }
                    Token::Word(arg) => {
                        args.push(arg.clone());
                        tokens.next();
                    }
                }
            }
            found.push(Invocation { args });
        }
        at_start = false;
    }
    found
}

/// Every `mnpsync` command of a workflow file.
fn invocations_in(path: &str, keys: &[&str]) -> Vec<Invocation> {
    let mut texts = Vec::new();
    shell_texts(&parse(path), keys, &mut texts);
    assert!(!texts.is_empty(), "{path}: no shell steps found");
    texts.iter().flat_map(|t| invocations(t)).collect()
}

/// Every problem of every invocation, as `file: command: problem`.
fn problems(cli: &Cli, path: &str, invocations: &[Invocation]) -> Vec<String> {
    invocations
        .iter()
        .flat_map(|inv| {
            cli.check(inv)
                .into_iter()
                .map(move |p| format!("{path}: `{inv}`: {p}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn both_workflows_parse_as_yaml_with_the_expected_triggers() {
    let github = parse(GITHUB);
    let on = &github["on"];
    assert!(
        on.get("pull_request").is_some(),
        "{GITHUB}: runs on pull requests"
    );
    let branches = on["push"]["branches"].as_sequence().expect("push branches");
    assert!(
        branches.iter().any(|b| b == "main"),
        "{GITHUB}: applies on push to main"
    );
    assert!(github["jobs"].as_mapping().is_some_and(|j| j.len() >= 2));

    let gitlab = parse(GITLAB);
    let rules = serde_yaml::to_string(&gitlab["workflow"]["rules"]).unwrap();
    assert!(
        rules.contains("merge_request_event"),
        "{GITLAB}: merge request pipelines"
    );
    assert!(
        rules.contains("CI_DEFAULT_BRANCH"),
        "{GITLAB}: default branch pipelines"
    );
    for job in ["plan", "apply"] {
        assert!(gitlab[job]["script"].is_sequence(), "{GITLAB}: job {job}");
    }
}

#[test]
fn the_workflows_take_credentials_from_secrets_not_flags() {
    let github = repo_file(GITHUB);
    for var in ["TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"] {
        assert!(
            github.contains(&format!("{var}: ${{{{ secrets.{var} }}}}")),
            "{GITHUB}: {var} from secrets"
        );
        assert!(
            repo_file(GITLAB).contains(var),
            "{GITLAB}: documents the {var} variable"
        );
    }
}

#[test]
fn every_mnpsync_command_in_the_workflows_exists() {
    let cli = Cli::from_binary();
    assert!(cli.subcommands.contains_key("plan") && cli.subcommands.contains_key("apply"));
    let mut all_problems = Vec::new();
    for (path, keys) in [(GITHUB, GITHUB_SHELL_KEYS), (GITLAB, GITLAB_SHELL_KEYS)] {
        let found = invocations_in(path, keys);
        let commands: Vec<String> = found.iter().map(ToString::to_string).collect();
        // The flow of the issue: a markdown plan with the detailed exit code for the review, and
        // an apply of a saved plan.
        let has = |needles: &[&str]| {
            commands.iter().any(|c| {
                needles
                    .iter()
                    .all(|n| c.split_whitespace().any(|w| w == *n))
            })
        };
        assert!(
            has(&[
                "plan",
                "--format",
                "markdown",
                "--detailed-exitcode",
                "--out"
            ]),
            "{path}: a review plan in {commands:#?}"
        );
        assert!(
            has(&["apply", "--plan"]),
            "{path}: an apply of a saved plan in {commands:#?}"
        );
        all_problems.extend(problems(&cli, path, &found));
    }
    assert!(all_problems.is_empty(), "{}", all_problems.join("\n"));
}

#[test]
fn the_check_catches_unknown_flags_and_subcommands() {
    let cli = Cli::from_binary();
    let workflow = r#"
jobs:
  bad:
    steps:
      - run: |
          echo "mnpsync --not-a-command is only text"
          code=0
          mnpsync plan manifests --nonexistent --out plan.json > plan.md || code=$?
          RUST_LOG=debug ./target/release/mnpsync apply --plan=plan.json --bogus=1 2>&1 | tee log
          mnpsync --state-dir .mnpsync frobnicate
          mnpsync --state-dir .mnpsync status --format json
          cargo install --locked --git https://example.com/mnpsync mnpsync
          if mnpsync validate manifests; then mnpsync -q apply --prune-limit 1 --force; fi
"#;
    let mut texts = Vec::new();
    shell_texts(
        &serde_yaml::from_str(workflow).unwrap(),
        GITHUB_SHELL_KEYS,
        &mut texts,
    );
    let found: Vec<Invocation> = texts.iter().flat_map(|t| invocations(t)).collect();
    let commands: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(
        commands,
        vec![
            "mnpsync plan manifests --nonexistent --out plan.json",
            "mnpsync apply --plan=plan.json --bogus=1",
            "mnpsync --state-dir .mnpsync frobnicate",
            "mnpsync --state-dir .mnpsync status --format json",
            "mnpsync validate manifests",
            "mnpsync -q apply --prune-limit 1 --force",
        ]
    );
    assert_eq!(
        problems(&cli, "test.yml", &found),
        vec![
            "test.yml: `mnpsync plan manifests --nonexistent --out plan.json`: `mnpsync plan` has no flag --nonexistent",
            "test.yml: `mnpsync apply --plan=plan.json --bogus=1`: `mnpsync apply` has no flag --bogus",
            "test.yml: `mnpsync --state-dir .mnpsync frobnicate`: unknown subcommand frobnicate",
        ]
    );
}
