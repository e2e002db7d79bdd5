//! One operation present in both specs: its lifecycle, security, parameters, request body and
//! responses.

use super::lifecycle::{self, Sunset};
use super::schema::{SchemaSite, Target};
use super::{Differ, OpCtx};
use crate::model::{Header, Loc, MediaType, Operation, Parameter, RequestBody, Response};

impl<'a> Differ<'a> {
    pub(super) fn operation(&mut self, op: &OpCtx, base: &'a Operation, head: &'a Operation) {
        self.stability(op, base, head);
        self.deprecation(op, base, head);
        self.operation_id_and_tags(op, base, head);
        let (base_security, head_security) = (
            base.security.as_ref().or(self.base.security.as_ref()),
            head.security.as_ref().or(self.head.security.as_ref()),
        );
        if base.security.is_some() || head.security.is_some() {
            self.security_requirements(
                Some(op),
                "api-security",
                base_security.map_or(&[], Vec::as_slice),
                head_security.map_or(&[], Vec::as_slice),
                base.security_loc,
                head.security_loc,
            );
        }
        self.parameters(op, base, head);
        self.request_body(op, base, head);
        self.responses(op, base, head);
    }

    fn stability(&mut self, op: &OpCtx, base: &Operation, head: &Operation) {
        let (was, here) = (Some(base.loc), Some(head.loc));
        let (base_level, head_level) = (
            lifecycle::stability(&base.extensions),
            lifecycle::stability(&head.extensions),
        );
        let unmuted = OpCtx {
            muted: false,
            ..op.clone()
        };
        for level in [&base_level, &head_level] {
            if let Err(text) = level {
                let detail =
                    format_args!("`x-stability-level: {text}` is not draft, alpha, beta or stable");
                self.emit(
                    "api-invalid-stability-level",
                    Some(&unmuted),
                    detail,
                    here,
                    was,
                );
            }
        }
        if let (Ok(base_level), Ok(head_level)) = (base_level, head_level)
            && let Some((from, to)) = lifecycle::stability_change(base_level, head_level)
        {
            let detail = format_args!("from {from:?} to {to:?}");
            if to < from {
                self.emit("api-stability-decreased", Some(&unmuted), detail, here, was);
            } else if to > from {
                self.emit("api-stability-increased", Some(&unmuted), detail, here, was);
            }
        }
    }

    fn deprecation(&mut self, op: &OpCtx, base: &Operation, head: &Operation) {
        let (was, here) = (Some(base.loc), Some(head.loc));
        match (base.deprecated, head.deprecated) {
            (false, true) => match lifecycle::sunset(&head.extensions) {
                Sunset::Date(date) => {
                    let detail = format_args!("sunset {date}");
                    self.emit(
                        "endpoint-deprecated-with-sunset",
                        Some(op),
                        detail,
                        here,
                        was,
                    );
                }
                Sunset::Invalid(text) => {
                    let detail = format_args!("`x-sunset: {text}` is not a date");
                    self.emit("api-deprecated-sunset-parse", Some(op), detail, here, was);
                }
                Sunset::Absent => {
                    self.emit("endpoint-deprecated", Some(op), "deprecated", here, was)
                }
            },
            (true, false) => self.emit(
                "endpoint-reactivated",
                Some(op),
                "no longer deprecated",
                here,
                was,
            ),
            (true, true) => {
                self.sunset_change(
                    op,
                    &base.extensions,
                    &head.extensions,
                    "api-path-sunset-parse",
                    "sunset-deleted",
                    here,
                    was,
                );
            }
            (false, false) => {}
        }
    }

    /// A deprecated element that stays deprecated: its sunset deleted, or one of them invalid.
    #[expect(clippy::too_many_arguments)]
    fn sunset_change(
        &mut self,
        op: &OpCtx,
        base: &[(String, serde_json::Value)],
        head: &[(String, serde_json::Value)],
        parse_id: &str,
        deleted_id: &str,
        here: Option<Loc>,
        was: Option<Loc>,
    ) {
        match (lifecycle::sunset(base), lifecycle::sunset(head)) {
            (Sunset::Invalid(text), _) | (_, Sunset::Invalid(text)) => {
                let detail = format_args!("`x-sunset: {text}` is not a date");
                self.emit(parse_id, Some(op), detail, here, was);
            }
            (Sunset::Date(date), Sunset::Absent) => {
                let detail = format_args!("the sunset date {date} was deleted");
                self.emit(deleted_id, Some(op), detail, here, was);
            }
            _ => {}
        }
    }

    fn operation_id_and_tags(&mut self, op: &OpCtx, base: &Operation, head: &Operation) {
        let (was, here) = (Some(base.loc), Some(head.loc));
        match (&base.operation_id, &head.operation_id) {
            (Some(old), None) => self.emit(
                "api-operation-id-removed",
                Some(op),
                format_args!("`{old}`"),
                here,
                was,
            ),
            (None, Some(new)) => self.emit(
                "api-operation-id-added",
                Some(op),
                format_args!("`{new}`"),
                here,
                was,
            ),
            (Some(old), Some(new)) if old != new => {
                self.emit(
                    "api-operation-id-removed",
                    Some(op),
                    format_args!("`{old}` (now `{new}`)"),
                    here,
                    was,
                );
            }
            _ => {}
        }
        for tag in base.tags.iter().filter(|tag| !head.tags.contains(tag)) {
            self.emit(
                "api-tag-removed",
                Some(op),
                format_args!("`{tag}`"),
                here,
                was,
            );
        }
        for tag in head.tags.iter().filter(|tag| !base.tags.contains(tag)) {
            self.emit(
                "api-tag-added",
                Some(op),
                format_args!("`{tag}`"),
                here,
                was,
            );
        }
    }

    // --- parameters -------------------------------------------------------------------------

    fn parameters(&mut self, op: &OpCtx, base: &'a Operation, head: &'a Operation) {
        for parameter in &base.parameters {
            match find_parameter(&base.parameters, parameter, &head.parameters) {
                Some(kept) => self.parameter(op, parameter, kept),
                None => self.removed_parameter(op, parameter, head.loc),
            }
        }
        for parameter in &head.parameters {
            if find_parameter(&head.parameters, parameter, &base.parameters).is_some() {
                continue;
            }
            let detail = format_args!("{} parameter `{}`", parameter.location, parameter.name);
            let id = if parameter.location == "path" {
                "new-request-path-parameter"
            } else if parameter.required {
                "new-required-request-parameter"
            } else {
                "new-optional-request-parameter"
            };
            self.emit(id, Some(op), detail, Some(parameter.loc), None);
        }
    }

    fn removed_parameter(&mut self, op: &OpCtx, parameter: &Parameter, head_op: Loc) {
        let detail = format!("{} parameter `{}`", parameter.location, parameter.name);
        let (here, was) = (Some(head_op), Some(parameter.loc));
        if lifecycle::is_unstable_extensions(&parameter.extensions) {
            return;
        }
        if !parameter.deprecated {
            self.emit("request-parameter-removed", Some(op), detail, here, was);
            return;
        }
        match lifecycle::sunset(&parameter.extensions) {
            Sunset::Invalid(text) => {
                let detail = format_args!("{detail}: `x-sunset: {text}` is not a date");
                self.emit(
                    "request-parameter-sunset-parse",
                    Some(op),
                    detail,
                    here,
                    was,
                );
            }
            Sunset::Date(date) if date > lifecycle::today() => {
                let detail = format_args!("{detail}, before its sunset date {date}");
                self.emit(
                    "request-parameter-removed-before-sunset",
                    Some(op),
                    detail,
                    here,
                    was,
                );
            }
            _ => self.emit(
                "request-parameter-removed-with-deprecation",
                Some(op),
                detail,
                here,
                was,
            ),
        }
    }

    fn parameter(&mut self, op: &OpCtx, base: &'a Parameter, head: &'a Parameter) {
        let detail = format!("{} parameter `{}`", head.location, head.name);
        let (here, was) = (Some(head.loc), Some(base.loc));
        match (base.required, head.required) {
            (false, true) => self.emit(
                "request-parameter-became-required",
                Some(op),
                &detail,
                here,
                was,
            ),
            (true, false) => self.emit(
                "request-parameter-became-optional",
                Some(op),
                &detail,
                here,
                was,
            ),
            _ => {}
        }
        match (base.deprecated, head.deprecated) {
            (false, true) => {
                self.emit("request-parameter-deprecated", Some(op), &detail, here, was)
            }
            (true, false) => self.emit(
                "request-parameter-reactivated",
                Some(op),
                &detail,
                here,
                was,
            ),
            (true, true) => self.sunset_change(
                op,
                &base.extensions,
                &head.extensions,
                "request-parameter-sunset-parse",
                "request-parameter-sunset-deleted",
                here,
                was,
            ),
            (false, false) => {}
        }
        // Only `schema` is compared: oasdiff leaves a parameter's `content` schema out of its
        // parameter checks, and a `schema` replaced by `content` is not a type change.
        let schemas = base.schema.as_ref().zip(head.schema.as_ref());
        if let Some((base_schema, head_schema)) = schemas {
            let site = SchemaSite {
                op,
                target: Target::Parameter {
                    name: &head.name,
                    location: &head.location,
                    form_exploded: head.form_exploded,
                },
                media_type: None,
            };
            self.compare_root(&site, base_schema, head_schema);
        }
    }

    // --- request body -----------------------------------------------------------------------

    fn request_body(&mut self, op: &OpCtx, base: &'a Operation, head: &'a Operation) {
        match (&base.request_body, &head.request_body) {
            (None, Some(body)) => {
                let id = if body.required {
                    "request-body-added-required"
                } else {
                    "request-body-added-optional"
                };
                self.emit(id, Some(op), "a request body", Some(body.loc), None);
            }
            (Some(body), None) => {
                self.emit(
                    "request-body-removed",
                    Some(op),
                    "the request body",
                    Some(head.loc),
                    Some(body.loc),
                );
            }
            (Some(base_body), Some(head_body)) => {
                self.modified_request_body(op, base_body, head_body)
            }
            (None, None) => {}
        }
    }

    fn modified_request_body(&mut self, op: &OpCtx, base: &'a RequestBody, head: &'a RequestBody) {
        let (here, was) = (Some(head.loc), Some(base.loc));
        match (base.required, head.required) {
            (false, true) => self.emit(
                "request-body-became-required",
                Some(op),
                "the request body",
                here,
                was,
            ),
            (true, false) => self.emit(
                "request-body-became-optional",
                Some(op),
                "the request body",
                here,
                was,
            ),
            _ => {}
        }
        self.content(op, &base.content, &head.content, head.loc, None);
    }

    /// Media types of a request body (`status` is `None`) or of a response.
    fn content(
        &mut self,
        op: &OpCtx,
        base: &'a [MediaType],
        head: &'a [MediaType],
        head_parent: Loc,
        status: Option<&'a str>,
    ) {
        let (removed, added, schema_prefix) = match status {
            None => (
                "request-body-media-type-removed",
                "request-body-media-type-added",
                "request-body-media-type-schema",
            ),
            Some(_) => (
                "response-media-type-removed",
                "response-media-type-added",
                "response-body-media-type-schema",
            ),
        };
        let at_status = status
            .map(|status| format!(" (status {status})"))
            .unwrap_or_default();
        for media in base {
            let Some(kept) = head.iter().find(|other| other.name == media.name) else {
                let detail = format_args!("`{}`{at_status}", media.name);
                self.emit(
                    removed,
                    Some(op),
                    detail,
                    Some(head_parent),
                    Some(media.loc),
                );
                continue;
            };
            let (here, was) = (Some(kept.loc), Some(media.loc));
            let detail = format_args!("`{}`{at_status}", media.name);
            match (&media.schema, &kept.schema) {
                (Some(_), None) => self.emit(
                    &format!("{schema_prefix}-removed"),
                    Some(op),
                    detail,
                    here,
                    was,
                ),
                (None, Some(_)) => self.emit(
                    &format!("{schema_prefix}-added"),
                    Some(op),
                    detail,
                    here,
                    was,
                ),
                (Some(base_schema), Some(head_schema)) => {
                    let target = match status {
                        None => Target::RequestBody,
                        Some(status) => Target::Response { status },
                    };
                    let site = SchemaSite {
                        op,
                        target,
                        media_type: Some(&kept.name),
                    };
                    self.compare_root(&site, base_schema, head_schema);
                }
                (None, None) => {}
            }
        }
        for media in head {
            if !base.iter().any(|other| other.name == media.name) {
                let detail = format_args!("`{}`{at_status}", media.name);
                self.emit(added, Some(op), detail, Some(media.loc), None);
            }
        }
    }

    // --- responses --------------------------------------------------------------------------

    fn responses(&mut self, op: &OpCtx, base: &'a Operation, head: &'a Operation) {
        for response in &base.responses {
            match head
                .responses
                .iter()
                .find(|other| other.status == response.status)
            {
                Some(kept) => self.response(op, response, kept),
                None => {
                    let id = if is_success(&response.status) {
                        "response-success-status-removed"
                    } else {
                        "response-non-success-status-removed"
                    };
                    let detail = format_args!("status `{}`", response.status);
                    self.emit(id, Some(op), detail, Some(head.loc), Some(response.loc));
                }
            }
        }
        for response in &head.responses {
            if base
                .responses
                .iter()
                .any(|other| other.status == response.status)
            {
                continue;
            }
            let id = if is_success(&response.status) {
                "response-success-status-added"
            } else {
                "response-non-success-status-added"
            };
            let detail = format_args!("status `{}`", response.status);
            self.emit(id, Some(op), detail, Some(response.loc), None);
        }
    }

    fn response(&mut self, op: &OpCtx, base: &'a Response, head: &'a Response) {
        self.headers(op, &base.headers, &head.headers, head);
        self.content(
            op,
            &base.content,
            &head.content,
            head.loc,
            Some(&head.status),
        );
    }

    fn headers(
        &mut self,
        op: &OpCtx,
        base: &'a [Header],
        head: &'a [Header],
        response: &'a Response,
    ) {
        let status = &response.status;
        for header in base {
            let Some(kept) = head
                .iter()
                .find(|other| other.name.eq_ignore_ascii_case(&header.name))
            else {
                let id = if header.required {
                    "required-response-header-removed"
                } else {
                    "optional-response-header-removed"
                };
                let detail = format_args!("`{}` (status {status})", header.name);
                self.emit(id, Some(op), detail, Some(response.loc), Some(header.loc));
                continue;
            };
            let (here, was) = (Some(kept.loc), Some(header.loc));
            if header.required && !kept.required {
                let detail = format_args!("`{}` (status {status})", header.name);
                self.emit(
                    "response-header-became-optional",
                    Some(op),
                    detail,
                    here,
                    was,
                );
            }
            if let (Some(base_schema), Some(head_schema)) = (&header.schema, &kept.schema) {
                let site = SchemaSite {
                    op,
                    target: Target::Header {
                        name: &kept.name,
                        status,
                    },
                    media_type: None,
                };
                self.compare_root(&site, base_schema, head_schema);
            }
        }
        for header in head {
            if !base
                .iter()
                .any(|other| other.name.eq_ignore_ascii_case(&header.name))
            {
                let detail = format_args!("`{}` (status {status})", header.name);
                self.emit(
                    "response-header-added",
                    Some(op),
                    detail,
                    Some(header.loc),
                    None,
                );
            }
        }
    }
}

/// The parameter of `to` that is `parameter` of `from`: the same `in` and name, or, for a path
/// parameter renamed along with its template (`{group_id}` to `{groupId}`), the path parameter
/// at the same position whose name `from` does not declare.
fn find_parameter<'p>(
    from: &[Parameter],
    parameter: &Parameter,
    to: &'p [Parameter],
) -> Option<&'p Parameter> {
    let same = to
        .iter()
        .find(|other| other.location == parameter.location && other.name == parameter.name);
    if same.is_some() || parameter.location != "path" {
        return same;
    }
    let position = path_parameters(from).position(|other| other.name == parameter.name)?;
    path_parameters(to)
        .nth(position)
        .filter(|other| !path_parameters(from).any(|known| known.name == other.name))
}

fn path_parameters(list: &[Parameter]) -> impl Iterator<Item = &Parameter> {
    list.iter().filter(|parameter| parameter.location == "path")
}

/// Whether a status code is a success (`2xx`).
fn is_success(status: &str) -> bool {
    status.starts_with('2')
}
