//! The YAML layer: text → documents of nodes that know their positions, within budgets.
//!
//! This is the only code that touches `serde_yaml`. It reads each document of a text into a
//! [`Node`] tree whose scalars carry their line and column, and turns every way a hostile text
//! could make the parser panic, hang or blow up memory into an ordinary error (see the module
//! docs of `manifest` for the list).
//!
//! `serde_yaml` has no span API. Its errors, however, carry the position of the node being
//! deserialized when the error was raised. The tree builder below exploits that: for every scalar
//! it stores the value in a side slot and returns a marker error; the enclosing map/sequence
//! visitor catches that error, reads the position out of it and carries on. This is sound because
//! `serde_yaml` consumes a scalar's event before visiting it, so the event stream stays in step.
//! The version is pinned by `Cargo.lock` (and `serde_yaml` is no longer developed); the tests
//! assert exact positions, so a behavioural change would be caught.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, EnumAccess, MapAccess, SeqAccess, VariantAccess,
};

/// A 1-based position in the file; ordered as in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    pub(crate) const START: Pos = Pos { line: 1, column: 1 };
}

impl From<serde_yaml::Location> for Pos {
    fn from(l: serde_yaml::Location) -> Self {
        Pos {
            line: l.line(),
            column: l.column(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    /// Integers above `i128::MAX` (serde_yaml reads up to `u128`).
    BigInt(u128),
    Float(f64),
    Str(String),
}

/// A YAML node; scalars know their position (see the module docs for why collections do not).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Scalar(Scalar, Pos),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// The "document" of a stream without documents (empty or comments only).
    Void,
}

impl Node {
    /// The position of the node's first scalar, if it has one.
    pub(crate) fn first_pos(&self) -> Option<Pos> {
        match self {
            Node::Scalar(_, pos) => Some(*pos),
            Node::Seq(items) => items.iter().find_map(Node::first_pos),
            Node::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| k.first_pos().or_else(|| v.first_pos())),
            Node::Void => None,
        }
    }

    /// Where to report a problem with this value: itself if it is a scalar, else `key_pos`.
    pub(crate) fn pos_or(&self, key_pos: Pos) -> Pos {
        match self {
            Node::Scalar(_, pos) => *pos,
            _ => key_pos,
        }
    }

    /// "found …" phrase for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Node::Scalar(Scalar::Null, _) => "null".to_string(),
            Node::Scalar(Scalar::Bool(b), _) => format!("boolean `{b}`"),
            Node::Scalar(Scalar::Int(i), _) => format!("integer `{i}`"),
            Node::Scalar(Scalar::BigInt(i), _) => format!("integer `{i}`"),
            Node::Scalar(Scalar::Float(f), _) => format!("float `{f:?}`"),
            Node::Scalar(Scalar::Str(s), _) => format!("string {}", snippet(s)),
            Node::Seq(_) => "a sequence".to_string(),
            Node::Map(_) => "a mapping".to_string(),
            Node::Void => "nothing".to_string(),
        }
    }

    /// A key as text: strings as themselves, other scalars as written; `None` for collections.
    pub(crate) fn key_text(&self) -> Option<String> {
        match self {
            Node::Scalar(Scalar::Str(s), _) => Some(s.clone()),
            Node::Scalar(Scalar::Null, _) => Some("null".to_string()),
            Node::Scalar(Scalar::Bool(b), _) => Some(b.to_string()),
            Node::Scalar(Scalar::Int(i), _) => Some(i.to_string()),
            Node::Scalar(Scalar::BigInt(i), _) => Some(i.to_string()),
            Node::Scalar(Scalar::Float(f), _) => Some(format!("{f:?}")),
            _ => None,
        }
    }
}

/// A string quoted for a message, shortened so a huge value cannot flood the report; no
/// character [`crate::text::is_unsafe`] refuses survives (each is written as an escape).
pub(crate) fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    let quoted = if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    };
    crate::text::clean(&quoted).into_owned()
}

/// Unquoted variant of [`snippet`] for names inside backticks.
pub(crate) fn short(s: &str) -> String {
    const MAX: usize = 60;
    let escaped: String = s.escape_debug().collect();
    let escaped = crate::text::clean(&escaped);
    if escaped.chars().count() <= MAX {
        escaped.into_owned()
    } else {
        let head: String = escaped.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// The character at `pos` of `text`, counting lines and columns as libyaml does (`\r\n`,
/// `\r`, `\n`, U+0085, U+2028 and U+2029 end lines; columns count characters).
pub(crate) fn char_at(text: &str, pos: Pos) -> Option<char> {
    text_at(text, pos).and_then(|rest| rest.chars().next())
}

/// The text from `pos` on, counting lines and columns as [`char_at`] does.
fn text_at(text: &str, pos: Pos) -> Option<&str> {
    let (mut line, mut column) = (1, 1);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if line == pos.line && column == pos.column {
            return Some(&text[at..]);
        }
        if line > pos.line {
            return None;
        }
        match c {
            '\r' => {
                chars.next_if(|(_, c)| *c == '\n');
                (line, column) = (line + 1, 1);
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => (line, column) = (line + 1, 1),
            _ => column += 1,
        }
    }
    None
}

/// A number as written at `pos` (a plain scalar on one line: up to a comment, a flow
/// indicator or the end of the line), so messages show `1.10` rather than the 1.1 YAML reads.
/// `None` unless it is a short run of the characters numbers are written with.
pub(crate) fn plain_at(text: &str, pos: Pos) -> Option<&str> {
    let rest = text_at(text, pos)?;
    let end = rest
        .find(|c: char| matches!(c, ',' | ']' | '}' | '#') || c.is_whitespace())
        .unwrap_or(rest.len());
    let written = &rest[..end];
    let numeric = written
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'));
    (numeric && !written.is_empty() && written.len() <= 64).then_some(written)
}

/// Marks the error a scalar visitor raises to learn its position; never shown to users.
const PROBE: &str = "\u{0}mnpsync-position-probe\u{0}";

/// Nesting deeper than any manifest needs; bounds recursion and the per-scalar cost of
/// serde_yaml formatting the node path into each probe error.
const MAX_DEPTH: usize = 32;

/// Reads the position out of a probe error's text: `"<path>: <PROBE> at line L column C"`.
///
/// Keys (which users control) only occur before the marker, so the last marker is ours. The
/// suffix is absent exactly when the position is line 1 column 1.
fn probe_pos(display: &str) -> Option<Pos> {
    // The marker ends in a NUL; finding that byte from the end is a memrchr, far cheaper than a
    // substring search set up anew for every scalar of every manifest.
    let end = display.rfind('\u{0}')? + 1;
    let start = end.checked_sub(PROBE.len())?;
    if display.get(start..end)? != PROBE {
        return None;
    }
    let rest = &display[end..];
    if rest.is_empty() {
        return Some(Pos::START);
    }
    let (line, column) = rest.strip_prefix(" at line ")?.split_once(" column ")?;
    Some(Pos {
        line: line.parse().ok()?,
        column: column.parse().ok()?,
    })
}

/// Per-file work budget: bounds the memory and time aliases can multiply (billion laughs) and
/// the cost of probe errors. Charged per node; a normal manifest uses a small fraction.
struct Builder {
    budget: usize,
    limit: usize,
    /// Why the builder aborted a document (depth, budget), to replace serde_yaml's text.
    abort: Option<String>,
    /// Problems that do not stop the document (tags); reported with its other errors.
    problems: Vec<(Option<Pos>, String)>,
}

impl Builder {
    fn new(text_len: usize) -> Self {
        let limit = text_len.saturating_mul(64).saturating_add(4 << 20);
        Builder {
            budget: limit,
            limit,
            abort: None,
            problems: Vec::new(),
        }
    }

    fn charge<E: de::Error>(&mut self, cost: usize) -> Result<(), E> {
        match self.budget.checked_sub(cost) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => {
                self.budget = 0;
                Err(self.fail(format!(
                    "document expands beyond the limit of {} bytes for this file \
                     (possible \"billion laughs\" alias bomb)",
                    self.limit
                )))
            }
        }
    }

    fn fail<E: de::Error>(&mut self, message: String) -> E {
        self.abort = Some(message);
        E::custom("mnpsync: document aborted")
    }
}

struct NodeSeed<'b> {
    builder: &'b mut Builder,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        let mut slot = None;
        let result = deserializer.deserialize_any(NodeVisitor {
            builder: &mut *self.builder,
            depth: self.depth,
            slot: &mut slot,
        });
        match (result, slot) {
            (Ok(node), _) => Ok(node),
            (Err(err), Some(scalar)) => {
                let text = err.to_string();
                self.builder.charge(text.len())?;
                match probe_pos(&text) {
                    Some(pos) => Ok(Node::Scalar(scalar, pos)),
                    None => Err(err),
                }
            }
            (Err(err), None) => Err(err),
        }
    }
}

struct NodeVisitor<'b, 's> {
    builder: &'b mut Builder,
    depth: usize,
    slot: &'s mut Option<Scalar>,
}

impl NodeVisitor<'_, '_> {
    /// Stores the scalar and raises the probe error that carries its position.
    fn scalar<E: de::Error>(self, scalar: Scalar) -> Result<Node, E> {
        let bytes = match &scalar {
            Scalar::Str(s) => s.len(),
            _ => 0,
        };
        self.builder.charge(bytes + 16)?;
        *self.slot = Some(scalar);
        Err(E::custom(PROBE))
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.builder.charge(64)?;
        if self.depth >= MAX_DEPTH {
            return Err(self
                .builder
                .fail(format!("document nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }
}

impl<'de> de::Visitor<'de> for NodeVisitor<'_, '_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        self.scalar(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        self.scalar(Scalar::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        self.scalar(Scalar::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        self.scalar(Scalar::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        match i128::try_from(v) {
            Ok(v) => self.scalar(Scalar::Int(v)),
            Err(_) => self.scalar(Scalar::BigInt(v)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        self.scalar(Scalar::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        self.scalar(Scalar::Str(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        self.scalar(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Void)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Node, A::Error> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Node, A::Error> {
        self.enter()?;
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth + 1,
        })? {
            let value = map.next_value_seed(NodeSeed {
                builder: &mut *self.builder,
                depth: self.depth + 1,
            })?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        // serde_yaml presents `!tag value` as an enum. Manifests have no use for tags, but the
        // tagged node is read in full (as if untagged) so the document stays in step and its
        // other errors are reported too.
        let (tag, content) = data.variant::<String>()?;
        let node = content.newtype_variant_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth,
        })?;
        self.builder.problems.push((
            node.first_pos(),
            format!("YAML tags are not supported (found `!{}`)", short(&tag)),
        ));
        Ok(node)
    }
}

/// One document as read from the YAML stream.
pub(crate) enum Loaded {
    /// An empty document (`---` alone, comments only, or an explicit null): skipped.
    Empty,
    /// A document and the problems found while reading it.
    Node(Node, Vec<(Option<Pos>, String)>),
    /// A document that could not be read; it is the last one read from the file.
    Failed { message: String, pos: Option<Pos> },
}

/// The documents of a text, each deserialized on its own so one bad document does not hide
/// the others.
///
/// Stops at the first document that cannot be read. After a stream error (syntax error, unknown
/// anchor) libyaml cannot resume, serde_yaml would yield that error forever, and its next
/// "document" would start mid-collection, which makes serde_yaml panic. serde_yaml reports such
/// an error only if deserialization itself succeeded, so after any error the stream's health is
/// unknown and the rest of the file is not read.
pub(crate) fn load_documents(text: &str) -> Vec<Loaded> {
    let mut builder = Builder::new(text.len());
    let mut out = Vec::new();
    // Each document takes at least one byte, so the bound never cuts a real stream short.
    for document in serde_yaml::Deserializer::from_str(text).take(text.len() + 1) {
        builder.abort = None;
        builder.problems.clear();
        let result = NodeSeed {
            builder: &mut builder,
            depth: 0,
        }
        .deserialize(document);
        let err = match result {
            Ok(Node::Void | Node::Scalar(Scalar::Null, _)) => {
                out.push(Loaded::Empty);
                continue;
            }
            Ok(node) => {
                out.push(Loaded::Node(node, std::mem::take(&mut builder.problems)));
                continue;
            }
            Err(err) => err,
        };
        let pos = err.location().map(Pos::from);
        let failed = match builder.abort.take() {
            // Where the budget ran out is arbitrary (often inside an anchor); the document is
            // the useful place to point at.
            Some(message) if builder.budget == 0 => Loaded::Failed { message, pos: None },
            Some(message) => Loaded::Failed { message, pos },
            None if err.to_string() == "repetition limit exceeded" => Loaded::Failed {
                message: "too many alias expansions (repetition limit exceeded; possible \
                          \"billion laughs\" alias bomb)"
                    .to_string(),
                pos,
            },
            None => Loaded::Failed {
                message: format!("{}{}", yaml_message(&err), syntax_hint(text, &err)),
                pos,
            },
        };
        out.push(failed);
        break;
    }
    out
}

/// A hint for the YAML syntax errors people make by hand, where one fits: a tab used for
/// indentation, or a key indented deeper than its siblings.
fn syntax_hint(text: &str, err: &serde_yaml::Error) -> &'static str {
    let message = err.to_string();
    let line = err
        .location()
        .and_then(|loc| text.lines().nth(loc.line().saturating_sub(1)))
        .unwrap_or("");
    if message.contains("cannot start any token")
        && line
            .chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    {
        "; YAML does not allow tabs for indentation: indent with spaces"
    } else if message.contains("mapping values are not allowed in this context") {
        "; check the indentation (a key must line up with the other keys of its mapping), and quote \
         a value that contains `: `"
    } else {
        ""
    }
}

/// serde_yaml's message without its own "at line L column C" (the location is reported apart),
/// and without any of the file's text.
///
/// libyaml's messages (syntax errors) are fixed phrases. serde_yaml's own messages, raised for
/// a scalar that does not match its tag (`!!int abc`), start with the path of keys down to the
/// node and quote the whole scalar (`a.b: invalid value: string "abc", expected an integer`):
/// only what was expected is kept, the location points at the scalar. Whatever else, the text
/// is clipped and its unsafe characters escaped.
fn yaml_message(err: &serde_yaml::Error) -> String {
    let mut text = err.to_string();
    if let Some(loc) = err.location() {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(i) = text.find(&suffix) {
            text.replace_range(i..i + suffix.len(), "");
        }
    }
    if let Some((head, expected)) = text.rsplit_once(", expected ")
        && (head.contains("invalid value: ") || head.contains("invalid type: "))
    {
        return format!(
            "invalid YAML: the value does not match its tag (expected {})",
            crate::text::clip(expected, 60)
        );
    }
    format!("invalid YAML: {}", crate::text::clip(&text, 200))
}

/// Upper bound on libyaml's flow-nesting work per file (about a fifth of a second).
const FLOW_WORK_LIMIT: usize = 200_000_000;

/// Where a text would make libyaml spend too long on nested flow collections, if it would.
///
/// libyaml rescans its stack of pending simple keys, one per open flow collection, for every
/// token, so `[[[[…]]]]` costs time quadratic in its depth (80 KB of brackets: seconds). A
/// document's work is at most its length times its number of `[`/`{` (each may open a level);
/// this bound ignores quoting, so it can only overestimate. Documents are cut at `---`/`...`
/// lines, which libyaml never lets a flow collection span. Real manifests stay far below it.
pub(crate) fn flow_nesting_too_costly(text: &str) -> Option<Pos> {
    fn is_marker(line: &str) -> bool {
        (line.starts_with("---") || line.starts_with("..."))
            && line[3..].chars().next().is_none_or(char::is_whitespace)
    }
    let mut total = 0usize;
    let (mut len, mut opens, mut first_open) = (0usize, 0usize, None);
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if is_marker(line) {
            total = total.saturating_add(len.saturating_mul(opens));
            if total > FLOW_WORK_LIMIT {
                return first_open;
            }
            (len, opens, first_open) = (0, 0, None);
        }
        len += line.len();
        for (column, c) in line.chars().enumerate() {
            if matches!(c, '[' | '{') {
                opens += 1;
                first_open.get_or_insert(Pos {
                    line: index + 1,
                    column: column + 1,
                });
            }
        }
    }
    total = total.saturating_add(len.saturating_mul(opens));
    if total > FLOW_WORK_LIMIT {
        first_open
    } else {
        None
    }
}

/// The position of each document's root node, in document order.
///
/// Needed only for documents without a first key (a sequence, `{}`, or a document that failed
/// without a location), so it is computed lazily with a second pass that stops every document
/// at its root.
pub(crate) fn root_positions(text: &str, documents: usize) -> Vec<Option<Pos>> {
    struct Root;
    impl<'de> de::Visitor<'de> for Root {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any YAML node")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
        fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
    }

    let mut out = Vec::new();
    // Only as far as the main pass got: documents after an unreadable one may start
    // mid-collection, where serde_yaml panics.
    for document in serde_yaml::Deserializer::from_str(text).take(documents) {
        match document.deserialize_any(Root) {
            Err(err) if err.to_string().contains(PROBE) => {
                out.push(err.location().map(Pos::from));
            }
            // A stream error: the documents after it are not read by the main pass either.
            _ => break,
        }
    }
    out
}
