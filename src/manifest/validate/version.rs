//! How a document names its version: `spec.mnpVersionId` (a positive integer, with hints for
//! the ways people write one as a string) or `spec.version` (the uploaded version string, with
//! a hint to quote one that YAML reads as a number).

use super::super::yaml::{Node, Pos, Scalar, char_at, plain_at, short, snippet};
use super::{Checker, Field, MAX_VERSION_CHARS};

impl Checker<'_> {
    /// `spec.mnpVersionId`: an integer in `1..=i64::MAX`.
    pub(super) fn version_id(&mut self, f: &Field<'_>) -> Option<i64> {
        const FIELD: &str = "spec.mnpVersionId";
        match f.value {
            Node::Scalar(Scalar::Int(v), pos) => {
                if *v <= 0 {
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{FIELD}`: expected a positive integer, found `{v}`"
                        ),
                    );
                    return None;
                }
                match i64::try_from(*v) {
                    Ok(v) => Some(v),
                    Err(_) => {
                        self.too_big(*pos, &v.to_string());
                        None
                    }
                }
            }
            Node::Scalar(Scalar::BigInt(v), pos) => {
                self.too_big(*pos, &v.to_string());
                None
            }
            Node::Scalar(Scalar::Str(s), pos) if s.trim().parse::<i128>().is_ok() => {
                self.numeric_string(*pos, s);
                None
            }
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{FIELD}`: expected a positive integer, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// `spec.mnpVersionId` is a string of digits: quoted, a block scalar, or a plain number that
    /// YAML does not read as one (a leading zero: `012`). The hint depends on which.
    fn numeric_string(&mut self, pos: Pos, s: &str) {
        const FIELD: &str = "spec.mnpVersionId";
        let value = s.trim().parse::<i128>().unwrap_or_default();
        let digits = s.trim().trim_start_matches(['+', '-']);
        let leading_zero = digits.len() > 1 && digits.starts_with('0');
        let message = match char_at(self.text, pos) {
            Some('"' | '\'') if leading_zero && value > 0 => format!(
                "invalid type for `{FIELD}`: expected a positive integer, found string {} \
                 (write `{value}`, without quotes or leading zeros)",
                snippet(s)
            ),
            Some('"' | '\'') => format!(
                "invalid type for `{FIELD}`: expected a positive integer, found string {} \
                 (remove the quotes)",
                snippet(s)
            ),
            Some('|' | '>') => format!(
                "invalid type for `{FIELD}`: expected a positive integer, found string {} \
                 (write the number on the line of its key, not as a block scalar)",
                snippet(s)
            ),
            _ if value <= 0 => format!(
                "invalid value for `{FIELD}`: expected a positive integer, found `{}`",
                short(s)
            ),
            _ if leading_zero => format!(
                "invalid value for `{FIELD}`: leading zeros are not allowed, found `{}` \
                 (write `{value}`)",
                short(s)
            ),
            _ => format!(
                "invalid type for `{FIELD}`: expected a positive integer, found string {}",
                snippet(s)
            ),
        };
        self.error(pos, message);
    }

    fn too_big(&mut self, pos: Pos, digits: &str) {
        self.error(
            pos,
            format!(
                "invalid value for `spec.mnpVersionId`: `{digits}` does not fit in a signed \
                 64-bit integer"
            ),
        );
    }

    /// `spec.version`: a string like an id, up to [`MAX_VERSION_CHARS`]. A number is refused
    /// with the advice to quote it as written: `1.10` unquoted is the number 1.1, which is
    /// another version.
    pub(super) fn version_string<'n>(&mut self, f: &Field<'n>) -> Option<(&'n str, Pos)> {
        const FIELD: &str = "spec.version";
        match f.value {
            Node::Scalar(number @ (Scalar::Int(_) | Scalar::BigInt(_) | Scalar::Float(_)), pos) => {
                let read = Node::Scalar(number.clone(), *pos)
                    .key_text()
                    .unwrap_or_default();
                let message = match plain_at(self.text, *pos) {
                    Some(written) if written != read => format!(
                        "invalid type for `{FIELD}`: expected a string, found the number \
                         `{written}` (YAML reads it as {read}); write \"{written}\" in quotes"
                    ),
                    Some(written) => format!(
                        "invalid type for `{FIELD}`: expected a string, found the number \
                         `{written}`; write \"{written}\" in quotes"
                    ),
                    None => format!(
                        "invalid type for `{FIELD}`: expected a string, found {}; write \
                         it in quotes",
                        f.value.describe()
                    ),
                };
                self.error(*pos, message);
                None
            }
            _ => self.identifier(f, FIELD.to_string(), MAX_VERSION_CHARS),
        }
    }
}
