//! A scenario: a named list of requests sent in order, at a fixed rate, for a fixed time.
//!
//! Paths, header values and bodies are [`Template`]s: `${rand:1..100}` draws an integer from
//! the scenario's seeded generator, `${iteration}` is the iteration's number, and `${name}` is a
//! value an earlier step captured from its response (`capture = { name = "/json/pointer" }`).

use std::time::Duration;

use http::{HeaderName, Method};

/// One micro-load scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// Sent in order, one iteration after another; every request is one slot of the schedule.
    pub steps: Vec<Step>,
    /// Requests per second (all steps together).
    pub rate: f64,
    /// The measured (warm) phase.
    pub duration: Duration,
    /// The cold phase before it, reported apart; zero for none.
    pub warmup: Duration,
    /// Keep-alive connections (in process: calls in flight at once).
    pub connections: usize,
    /// How long one request may take once sent.
    pub timeout: Duration,
    /// Sent once before the cold phase (a cache flush), not measured.
    pub flush: Option<Step>,
    /// Seeds `${rand:…}`; the same seed draws the same values in the same slots.
    pub seed: u64,
    pub thresholds: Thresholds,
}

/// What fails a scenario, whatever the baseline says.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// The warm p95 latency may not exceed this.
    pub p95_ms: Option<f64>,
    /// The share of failed requests (0 to 1) may not exceed this.
    pub error_rate: Option<f64>,
}

/// One request of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: Template,
    pub headers: Vec<(HeaderName, Template)>,
    pub body: Option<Template>,
    /// Values taken from the JSON response for later steps: name and JSON pointer.
    pub capture: Vec<(String, String)>,
}

impl Step {
    /// `method path` as written, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path.source)
    }
}

/// A text with `${…}` placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A captured value.
    Value(String),
    /// An integer drawn uniformly from `low..=high`.
    Random {
        low: u64,
        high: u64,
    },
    Iteration,
}

/// Why a scenario cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    #[error("`{text}`: unclosed `${{`; write `${{name}}`, `${{rand:1..100}}` or `${{iteration}}`")]
    Unclosed { text: String },
    #[error(
        "`{text}`: `${{rand:{spec}}}` is not a range; write `${{rand:LOW..HIGH}}` with whole numbers, LOW <= HIGH"
    )]
    BadRange { text: String, spec: String },
    #[error(
        "`{text}`: `${{}}` names nothing; write `${{name}}` of a value an earlier step captures"
    )]
    EmptyName { text: String },
    #[error(
        "step {step} (`{request}`) uses `${{{name}}}`, which no earlier step captures; add `capture = {{ {name} = \"/json/pointer\" }}` to an earlier step"
    )]
    MissingValue {
        step: usize,
        request: String,
        name: String,
    },
    #[error(
        "scenario `{name}` has no requests; add `[[load.scenarios.{name}.requests]]` or use --path"
    )]
    NoSteps { name: String },
    #[error("rate {rate} is not a positive number of requests per second")]
    BadRate { rate: f64 },
    #[error("the duration must be longer than zero")]
    ZeroDuration,
    #[error("at least one connection is needed")]
    NoConnections,
    #[error("`{value}` is not a valid HTTP {what}")]
    BadHttp { what: &'static str, value: String },
    #[error("path `{path}` must start with `/`")]
    BadPath { path: String },
    #[error(
        "capture `{name}`: `{pointer}` is not a JSON pointer; write e.g. `/id` or `/items/0/id`"
    )]
    BadPointer { name: String, pointer: String },
}

impl Template {
    /// Parses `${…}` placeholders; `$$` is a literal `$`.
    ///
    /// # Errors
    /// An unclosed placeholder, an empty name or a malformed `rand` range.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                literal.push('$');
                rest = tail;
            } else if let Some(open) = after.strip_prefix('{') {
                let close = open.find('}').ok_or_else(|| ScenarioError::Unclosed {
                    text: text.to_owned(),
                })?;
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(placeholder(text, open[..close].trim())?);
                rest = &open[close + 1..];
            } else {
                literal.push('$');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self {
            source: text.to_owned(),
            parts,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The captured values it uses.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Value(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The text with every placeholder filled; `Err(name)` for a value not captured.
    pub(crate) fn render(
        &self,
        values: &[(String, String)],
        rng: &mut SplitMix64,
        iteration: u64,
    ) -> Result<String, String> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value(name) => {
                    let (_, value) = values
                        .iter()
                        .rev()
                        .find(|(have, _)| have == name)
                        .ok_or_else(|| name.clone())?;
                    out.push_str(value);
                }
                Part::Random { low, high } => {
                    let span = high - low;
                    let drawn = if span == u64::MAX {
                        rng.next()
                    } else {
                        low + rng.next() % (span + 1)
                    };
                    out.push_str(&drawn.to_string());
                }
                Part::Iteration => out.push_str(&iteration.to_string()),
            }
        }
        Ok(out)
    }
}

fn placeholder(text: &str, inner: &str) -> Result<Part, ScenarioError> {
    if inner.is_empty() {
        return Err(ScenarioError::EmptyName {
            text: text.to_owned(),
        });
    }
    if inner == "iteration" {
        return Ok(Part::Iteration);
    }
    let Some(spec) = inner.strip_prefix("rand:") else {
        return Ok(Part::Value(inner.to_owned()));
    };
    let bad = || ScenarioError::BadRange {
        text: text.to_owned(),
        spec: spec.to_owned(),
    };
    let (low, high) = spec.split_once("..").ok_or_else(bad)?;
    let low: u64 = low.trim().parse().map_err(|_| bad())?;
    let high: u64 = high.trim().parse().map_err(|_| bad())?;
    if low > high {
        return Err(bad());
    }
    Ok(Part::Random { low, high })
}

impl Step {
    /// A step from its written parts.
    ///
    /// # Errors
    /// A bad method, header, template, path or JSON pointer.
    pub fn new(
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&str>,
        capture: &[(String, String)],
    ) -> Result<Self, ScenarioError> {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| {
            ScenarioError::BadHttp {
                what: "method",
                value: method.to_owned(),
            }
        })?;
        if !path.starts_with('/') {
            return Err(ScenarioError::BadPath {
                path: path.to_owned(),
            });
        }
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ScenarioError::BadHttp {
                        what: "header name",
                        value: name.clone(),
                    }
                })?;
                Ok((name, Template::parse(value)?))
            })
            .collect::<Result<_, ScenarioError>>()?;
        if let Some((name, pointer)) = capture
            .iter()
            .find(|(_, pointer)| !pointer.is_empty() && !pointer.starts_with('/'))
        {
            return Err(ScenarioError::BadPointer {
                name: name.clone(),
                pointer: pointer.clone(),
            });
        }
        Ok(Self {
            method,
            path: Template::parse(path)?,
            headers,
            body: body.map(Template::parse).transpose()?,
            capture: capture.to_vec(),
        })
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.path)
            .chain(self.headers.iter().map(|(_, value)| value))
            .chain(&self.body)
    }
}

impl Scenario {
    /// A scenario of one `GET path` with defaults a quick burst wants: 2 s at `rate`, 1 s of
    /// warmup, 8 connections, a 5 s timeout.
    pub fn endpoint(name: &str, path: &str, rate: f64) -> Result<Self, ScenarioError> {
        Ok(Self {
            name: name.to_owned(),
            steps: vec![Step::new("GET", path, &[], None, &[])?],
            rate,
            duration: Duration::from_secs(2),
            warmup: Duration::from_secs(1),
            connections: 8,
            timeout: Duration::from_secs(5),
            flush: None,
            seed: 0,
            thresholds: Thresholds::default(),
        })
    }

    /// Checks everything that can be known before sending: a positive rate and duration, a
    /// connection, and every `${name}` captured by an earlier step.
    ///
    /// # Errors
    /// The first problem found.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.steps.is_empty() {
            return Err(ScenarioError::NoSteps {
                name: self.name.clone(),
            });
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err(ScenarioError::BadRate { rate: self.rate });
        }
        if self.duration.is_zero() {
            return Err(ScenarioError::ZeroDuration);
        }
        if self.connections == 0 {
            return Err(ScenarioError::NoConnections);
        }
        let flush = self.flush.iter().map(|step| (0, step));
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(at, step)| (at + 1, step));
        let mut captured: Vec<&str> = Vec::new();
        for (number, step) in flush.chain(steps) {
            for template in step.templates() {
                if let Some(name) = template
                    .values()
                    .find(|name| !captured.contains(name) || number == 0)
                {
                    return Err(ScenarioError::MissingValue {
                        step: number,
                        request: step.describe(),
                        name: name.to_owned(),
                    });
                }
            }
            if number > 0 {
                captured.extend(step.capture.iter().map(|(name, _)| name.as_str()));
            }
        }
        Ok(())
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same values, with no
/// dependency for it.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator of one iteration, so values do not depend on timing.
    pub(crate) fn for_iteration(seed: u64, iteration: u64) -> Self {
        let mut mixer = Self(seed ^ iteration.wrapping_mul(0xA076_1D64_78BD_642F));
        mixer.next();
        mixer
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Looks up a JSON pointer in a response body; numbers and booleans as their JSON text.
pub(crate) fn capture(body: &[u8], pointer: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    match json.pointer(pointer)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, values: &[(&str, &str)]) -> Result<String, String> {
        let values: Vec<(String, String)> = values
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Template::parse(text).expect("parses").render(
            &values,
            &mut SplitMix64::for_iteration(7, 3),
            3,
        )
    }

    #[test]
    fn placeholders_fill_from_values_iteration_and_seeded_draws() {
        assert_eq!(
            render(
                "/carts/${cart}/items?n=${iteration}&p=$$5",
                &[("cart", "c1")]
            ),
            Ok("/carts/c1/items?n=3&p=$5".to_owned())
        );
        let drawn = render("${rand:10..12}", &[]).expect("renders");
        assert!(["10", "11", "12"].contains(&drawn.as_str()), "{drawn}");
        assert_eq!(
            render("${rand:10..12}", &[]),
            Ok(drawn),
            "same seed, same draw"
        );
        assert_eq!(render("/x/${gone}", &[]), Err("gone".to_owned()));
        assert_eq!(render("{\"a\": 1}", &[]), Ok("{\"a\": 1}".to_owned()));
    }

    #[test]
    fn malformed_placeholders_are_errors_that_say_how_to_write_them() {
        let unclosed = Template::parse("/x/${id").expect_err("unclosed");
        assert!(unclosed.to_string().contains("unclosed `${`"), "{unclosed}");
        let range = Template::parse("${rand:9..1}").expect_err("reversed range");
        assert!(range.to_string().contains("LOW..HIGH"), "{range}");
        assert!(Template::parse("${}").is_err());
    }

    #[test]
    fn a_value_no_earlier_step_captures_is_named_with_its_step() {
        let mut scenario = Scenario::endpoint("cart", "/carts", 10.0).expect("scenario");
        scenario
            .steps
            .push(Step::new("POST", "/carts/${cart_id}/items", &[], None, &[]).expect("step"));
        let error = scenario.validate().expect_err("cart_id is never captured");
        assert_eq!(
            error.to_string(),
            "step 2 (`POST /carts/${cart_id}/items`) uses `${cart_id}`, which no earlier step captures; add `capture = { cart_id = \"/json/pointer\" }` to an earlier step"
        );
        scenario.steps[0].capture = vec![("cart_id".to_owned(), "/id".to_owned())];
        assert_eq!(scenario.validate(), Ok(()));
    }

    #[test]
    fn captures_read_json_pointers() {
        let body = br#"{"id": "c-1", "items": [{"qty": 2}], "none": null}"#;
        assert_eq!(capture(body, "/id"), Some("c-1".to_owned()));
        assert_eq!(capture(body, "/items/0/qty"), Some("2".to_owned()));
        assert_eq!(capture(body, "/none"), None);
        assert_eq!(capture(b"not json", "/id"), None);
    }
}
