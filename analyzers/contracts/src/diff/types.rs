//! oasdiff's verdict on a `type`/`format` change (its `checker/check_types.go` and the type
//! checks built on it): whether the change breaks, and so which of `-type-changed`,
//! `-type-generalized`, `-type-specialized` or `-type-compatible` reports it.
//!
//! The two axes are judged apart: the types added and deleted (with `integer` a subtype of
//! `number`, and, where values travel as text, anything accepted as a `string`), and the
//! format (removing one generalizes; only `float`→`double`, `int32`→`int64`/`bigint`,
//! `int64`→`bigint` and `date`/`time`→`date-time` widen). `"null"` is left to the
//! nullability checks.

use crate::model::Schema;

/// One side of the change: the types without `"null"` and the format (`""` when none).
#[derive(Clone, Copy)]
pub(super) struct Typed<'s> {
    types: &'s [&'s str],
    format: &'s str,
}

impl<'s> Typed<'s> {
    pub(super) fn new(types: &'s [&'s str], schema: &'s Schema) -> Self {
        Self {
            types,
            format: schema.format.as_deref().unwrap_or(""),
        }
    }
}

/// Which id reports a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Changed,
    Generalized,
    Specialized,
    Compatible,
}

impl Verdict {
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Verdict::Changed => "type-changed",
            Verdict::Generalized => "type-generalized",
            Verdict::Specialized => "type-specialized",
            Verdict::Compatible => "type-compatible",
        }
    }
}

/// The types added and deleted, when the sets differ.
#[derive(Clone)]
struct TypeDiff<'s> {
    added: Vec<&'s str>,
    deleted: Vec<&'s str>,
}

impl<'s> TypeDiff<'s> {
    fn of(base: &[&'s str], head: &[&'s str]) -> Option<Self> {
        let added: Vec<&str> = head.iter().filter(|t| !base.contains(t)).copied().collect();
        let deleted: Vec<&str> = base.iter().filter(|t| !head.contains(t)).copied().collect();
        (!added.is_empty() || !deleted.is_empty()).then_some(Self { added, deleted })
    }

    fn reversed(&self) -> Self {
        Self {
            added: self.deleted.clone(),
            deleted: self.added.clone(),
        }
    }
}

/// A change of a schema's type or format, between a base and a head side.
pub(super) struct TypeChange<'s> {
    base: Typed<'s>,
    head: Typed<'s>,
    types: Option<TypeDiff<'s>>,
    /// `(from, to)` when the formats differ.
    format: Option<(&'s str, &'s str)>,
}

impl<'s> TypeChange<'s> {
    /// The change, or `None` when neither the types nor the format changed.
    pub(super) fn new(base: Typed<'s>, head: Typed<'s>) -> Option<Self> {
        let types = TypeDiff::of(base.types, head.types);
        let format = (base.format != head.format).then_some((base.format, head.format));
        (types.is_some() || format.is_some()).then_some(Self {
            base,
            head,
            types,
            format,
        })
    }

    /// The head accepts every type the base did (and more).
    fn widened(&self) -> bool {
        self.types.is_some() && is_subset(self.base.types, self.head.types)
    }

    /// The head accepts only types the base did.
    fn narrowed(&self) -> bool {
        self.types.is_some() && is_subset(self.head.types, self.base.types)
    }

    /// Both sides name types: a swap, not a type constraint added or dropped.
    fn both_concrete(&self) -> bool {
        !self.base.types.is_empty() && !self.head.types.is_empty()
    }

    /// A request body or a request body's property (`requestTypeChangeId`): the head must
    /// accept what the base did. `strong` when the media type is JSON.
    pub(super) fn request(&self, strong: bool) -> Verdict {
        let widened = self.widened();
        let types = if widened { None } else { self.types.as_ref() };
        if type_format_breaking(types, self.format, strong, self.head.types) {
            Verdict::Changed
        } else if self.types.is_some() && self.both_concrete() && !widened {
            Verdict::Compatible
        } else {
            Verdict::Generalized
        }
    }

    /// A response body, a response body's property or a response header
    /// (`responseTypeChangeId`): the base's clients must understand what the head returns.
    pub(super) fn response(&self, strong: bool) -> Verdict {
        let narrowed = self.narrowed();
        let types = (!narrowed)
            .then(|| self.types.as_ref().map(TypeDiff::reversed))
            .flatten();
        let format = self.format.map(|(from, to)| (to, from));
        if type_format_breaking(types.as_ref(), format, strong, self.base.types) {
            if self.widened() {
                Verdict::Generalized
            } else {
                Verdict::Changed
            }
        } else if self.types.is_some() && self.both_concrete() && !narrowed {
            Verdict::Compatible
        } else {
            Verdict::Specialized
        }
    }

    /// A parameter's own schema: its value is text on the wire, and a type widening is not
    /// looked for (`RequestParameterTypeChangedCheck`). A scalar that became a form-exploded
    /// array whose items accept the old values is a generalization: `?a=1` is still valid.
    pub(super) fn parameter(&self, scalar_to_exploded_array: impl FnOnce() -> bool) -> Verdict {
        if type_or_format_breaking(self.types.as_ref(), self.format, false, self.head.types)
            && !self
                .became_array()
                .then(scalar_to_exploded_array)
                .unwrap_or(false)
        {
            Verdict::Changed
        } else {
            Verdict::Generalized
        }
    }

    /// Whether the only type added is `array` and the base named types.
    fn became_array(&self) -> bool {
        self.types
            .as_ref()
            .is_some_and(|types| types.added == ["array"] && !self.base.types.is_empty())
    }

    /// A property of an object parameter, whose serialization is unknown
    /// (`checkRequestParameterPropertyTypeChanged`): breaking as JSON and as text is
    /// specialized, neither is generalized, and only one of them is a warning (`changed`).
    pub(super) fn parameter_property(&self) -> Verdict {
        let types = self.types.as_ref();
        let strong = type_or_format_breaking(types, self.format, true, self.head.types);
        let weak = type_or_format_breaking(types, self.format, false, self.head.types);
        match (strong, weak) {
            (true, true) => Verdict::Specialized,
            (false, false) => Verdict::Generalized,
            _ => Verdict::Changed,
        }
    }
}

/// Whether every value of the scalar `base` types is accepted by an array item of the
/// `item` types, on the type axis (`itemAcceptsBaseScalarValues`; values are text).
pub(super) fn item_accepts_scalar(item: &[&str], base: &[&str]) -> bool {
    type_contained(item, base, false)
}

fn is_subtype(sub: &str, sup: &str) -> bool {
    sub == sup || (sub == "integer" && sup == "number")
}

/// `sub` is non-empty and each of its types is covered by one of `sup`.
fn is_subset(sub: &[&str], sup: &[&str]) -> bool {
    !sub.is_empty()
        && sub
            .iter()
            .all(|t| sup.iter().any(|other| is_subtype(t, other)))
}

/// Whether the types `from` (deleted) are still accepted by `to` (added): a subtype, or,
/// where values are text (`!strong`), `to` is no type or `string`.
fn type_contained(to: &[&str], from: &[&str], strong: bool) -> bool {
    if let ([to], [from]) = (to, from)
        && is_subtype(from, to)
    {
        return true;
    }
    !strong && (to.is_empty() || to == ["string"])
}

/// Whether the format `to` accepts every value of the format `from`, for the type `types`.
fn format_contained(types: &[&str], to: &str, from: &str) -> bool {
    if to.is_empty() {
        return true;
    }
    match types {
        ["number"] => to == "double" && from == "float",
        ["integer"] => matches!(
            (from, to),
            ("int32", "int64" | "bigint") | ("int64", "bigint")
        ),
        ["string"] => to == "date-time" && matches!(from, "date" | "time"),
        _ => false,
    }
}

fn type_or_format_breaking(
    types: Option<&TypeDiff<'_>>,
    format: Option<(&str, &str)>,
    strong: bool,
    to_types: &[&str],
) -> bool {
    let type_breaking =
        types.is_some_and(|diff| !type_contained(&diff.added, &diff.deleted, strong));
    let format_breaking = format.is_some_and(|(from, to)| !format_contained(to_types, to, from));
    type_breaking || format_breaking
}

/// As [`type_or_format_breaking`], except that dropping the type constraint altogether (the
/// side judged toward names no type) never breaks.
fn type_format_breaking(
    types: Option<&TypeDiff<'_>>,
    format: Option<(&str, &str)>,
    strong: bool,
    to_types: &[&str],
) -> bool {
    if types.is_some() && to_types.is_empty() {
        return false;
    }
    type_or_format_breaking(types, format, strong, to_types)
}

/// Whether values of `media_type` are typed (JSON): there `"1"` is not `1`.
pub(super) fn strongly_typed(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change<'s>(
        base: &'s [&'s str],
        base_format: &'s str,
        head: &'s [&'s str],
        head_format: &'s str,
    ) -> TypeChange<'s> {
        TypeChange::new(
            Typed {
                types: base,
                format: base_format,
            },
            Typed {
                types: head,
                format: head_format,
            },
        )
        .expect("a change")
    }

    #[test]
    fn requests_accept_wider_types_and_formats() {
        use Verdict::*;
        assert_eq!(
            change(&["integer"], "", &["number"], "").request(true),
            Generalized
        );
        assert_eq!(
            change(&["number"], "", &["integer"], "").request(true),
            Changed
        );
        assert_eq!(
            change(&["integer"], "", &["string"], "").request(true),
            Changed
        );
        // As text, a number is also a string: a swap that only works loosely.
        assert_eq!(
            change(&["integer"], "", &["string"], "").request(false),
            Compatible
        );
        assert_eq!(
            change(&["string"], "", &["string", "integer"], "").request(true),
            Generalized
        );
        assert_eq!(
            change(&["string", "integer"], "", &["string"], "").request(true),
            Changed
        );
        // The type constraint dropped accepts anything.
        assert_eq!(change(&["string"], "", &[], "").request(true), Generalized);
        assert_eq!(
            change(&["string"], "date", &["string"], "").request(true),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["string"], "uuid").request(true),
            Changed
        );
        assert_eq!(
            change(&["string"], "date", &["string"], "date-time").request(true),
            Generalized
        );
    }

    #[test]
    fn responses_mirror_requests() {
        use Verdict::*;
        assert_eq!(
            change(&["number"], "", &["integer"], "").response(true),
            Specialized
        );
        // A response that may now return more types is "generalized", and breaks.
        assert_eq!(
            change(&["integer"], "", &["number"], "").response(true),
            Generalized
        );
        assert_eq!(
            change(&["integer"], "", &["string"], "").response(true),
            Changed
        );
        assert_eq!(
            change(&["string"], "", &["string", "integer"], "").response(true),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["integer"], "").response(false),
            Compatible
        );
    }

    #[test]
    fn parameters_are_text() {
        use Verdict::*;
        assert_eq!(
            change(&["integer"], "", &["string"], "").parameter(|| false),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["integer"], "").parameter(|| false),
            Changed
        );
        assert_eq!(
            change(&["integer"], "", &["integer", "string"], "").parameter(|| false),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["array"], "").parameter(|| true),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["string"], "uuid").parameter(|| false),
            Changed
        );
        assert_eq!(
            change(&["string"], "uuid", &["string"], "").parameter(|| false),
            Generalized
        );
        assert_eq!(
            change(&["string"], "", &["number"], "").parameter_property(),
            Specialized
        );
        assert_eq!(
            change(&["number"], "", &["string"], "").parameter_property(),
            Changed
        );
        assert_eq!(
            change(&["integer"], "", &["number"], "").parameter_property(),
            Generalized
        );
    }
}
