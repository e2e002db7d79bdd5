//! The catalog of oasdiff's checks: every id `contracts/<oasdiff-id>` can report, with the
//! level oasdiff gives it by default (ERR, WARN or INFO).
//!
//! The ids and levels are oasdiff's own (its rule registry), so a finding here and one from
//! oasdiff compare one to one; the conformance test checks the table against oasdiff's.

use commerce_diagnostics::{FixAvailability, RuleMeta, Severity};

use crate::diff::Level::{self, Err, Info, Warn};

/// One oasdiff check: its id (without the `contracts/` namespace), level and rule metadata.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub meta: RuleMeta,
}

/// Finds the check with the oasdiff id `id`.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS
        .binary_search_by(|check| check.id.cmp(id))
        .ok()
        .map(|index| &CHECKS[index])
}

const fn severity(level: Level) -> Severity {
    match level {
        Err => Severity::Error,
        Warn => Severity::Warning,
        Info => Severity::Info,
    }
}

macro_rules! checks {
    ($($id:literal, $level:ident, $summary:literal;)*) => {
        /// Every oasdiff check, sorted by id.
        pub static CHECKS: &[Check] = &[$(Check {
            id: $id,
            level: $level,
            meta: RuleMeta {
                id: concat!("contracts/", $id),
                default_severity: severity($level),
                fix: FixAvailability::None,
                doc: concat!(
                    "## What it does\n",
                    $summary,
                    " Reported when `cargo commerce contracts diff` (or `check` against the `[contracts] base` ref) compares two versions of an OpenAPI description; this is oasdiff's `",
                    $id,
                    "` check, at oasdiff's default level.\n\n",
                    include_str!("oasdiff_doc.md"),
                ),
            },
        }),*];
    };
}

checks! {
    "api-deprecated-sunset-missing", Err, "Api deprecated sunset missing.";
    "api-deprecated-sunset-parse", Err, "Api deprecated sunset parse.";
    "api-global-security-added", Info, "Api global security added.";
    "api-global-security-removed", Info, "Api global security removed.";
    "api-global-security-scope-added", Info, "Api global security scope added.";
    "api-global-security-scope-removed", Info, "Api global security scope removed.";
    "api-invalid-stability-level", Err, "Api invalid stability level.";
    "api-major-version-not-bumped", Info, "Api major version not bumped.";
    "api-operation-id-added", Info, "Api operation id added.";
    "api-operation-id-removed", Info, "Api operation id removed.";
    "api-path-removed-before-sunset", Err, "Api path removed before sunset.";
    "api-path-removed-with-deprecation", Info, "Api path removed with deprecation.";
    "api-path-removed-without-deprecation", Err, "Api path removed without deprecation.";
    "api-path-sunset-parse", Err, "Api path sunset parse.";
    "api-removed-before-sunset", Err, "Api removed before sunset.";
    "api-removed-with-deprecation", Info, "Api removed with deprecation.";
    "api-removed-without-deprecation", Err, "Api removed without deprecation.";
    "api-schema-removed", Info, "Api schema removed.";
    "api-security-added", Info, "Api security added.";
    "api-security-component-added", Info, "Api security component added.";
    "api-security-component-oauth-scope-added", Info, "Api security component oauth scope added.";
    "api-security-component-oauth-scope-changed", Info, "Api security component oauth scope changed.";
    "api-security-component-oauth-scope-removed", Info, "Api security component oauth scope removed.";
    "api-security-component-oauth-token-url-changed", Info, "Api security component oauth token url changed.";
    "api-security-component-oauth-url-changed", Info, "Api security component oauth url changed.";
    "api-security-component-removed", Info, "Api security component removed.";
    "api-security-component-type-changed", Info, "Api security component type changed.";
    "api-security-removed", Info, "Api security removed.";
    "api-security-scope-added", Info, "Api security scope added.";
    "api-security-scope-removed", Info, "Api security scope removed.";
    "api-stability-decreased", Err, "Api stability decreased.";
    "api-stability-increased", Info, "Api stability increased.";
    "api-sunset-date-changed-too-small", Err, "Api sunset date changed too small.";
    "api-sunset-date-too-small", Err, "Api sunset date too small.";
    "api-tag-added", Info, "Api tag added.";
    "api-tag-removed", Info, "Api tag removed.";
    "api-version-decreased", Info, "Api version decreased.";
    "api-version-not-bumped", Info, "Api version not bumped.";
    "endpoint-added", Info, "Endpoint added.";
    "endpoint-deprecated", Info, "Endpoint deprecated.";
    "endpoint-deprecated-with-sunset", Info, "Endpoint deprecated with sunset.";
    "endpoint-reactivated", Info, "Endpoint reactivated.";
    "new-optional-request-default-parameter-to-existing-path", Info, "New optional request default parameter to existing path.";
    "new-optional-request-parameter", Info, "New optional request parameter.";
    "new-optional-request-property", Info, "New optional request property.";
    "new-request-path-parameter", Err, "New request path parameter.";
    "new-required-request-default-parameter-to-existing-path", Err, "New required request default parameter to existing path.";
    "new-required-request-header-property", Err, "New required request header property.";
    "new-required-request-parameter", Err, "New required request parameter.";
    "new-required-request-property", Err, "New required request property.";
    "new-required-request-property-with-default", Err, "New required request property with default.";
    "optional-response-header-removed", Warn, "Optional response header removed.";
    "request-body-added-optional", Info, "Request body added optional.";
    "request-body-added-required", Err, "Request body added required.";
    "request-body-all-of-added", Err, "Request body all of added.";
    "request-body-all-of-added-annotation-only", Info, "Request body all of added annotation only.";
    "request-body-all-of-removed", Warn, "Request body all of removed.";
    "request-body-all-of-removed-annotation-only", Info, "Request body all of removed annotation only.";
    "request-body-any-of-added", Info, "Request body any of added.";
    "request-body-any-of-removed", Err, "Request body any of removed.";
    "request-body-became-enum", Err, "Request body became enum.";
    "request-body-became-not-nullable", Err, "Request body became not nullable.";
    "request-body-became-nullable", Info, "Request body became nullable.";
    "request-body-became-optional", Info, "Request body became optional.";
    "request-body-became-required", Err, "Request body became required.";
    "request-body-const-added", Err, "Request body const added.";
    "request-body-const-changed", Err, "Request body const changed.";
    "request-body-const-removed", Info, "Request body const removed.";
    "request-body-contains-added", Err, "Request body contains added.";
    "request-body-contains-removed", Info, "Request body contains removed.";
    "request-body-content-encoding-changed", Err, "Request body content encoding changed.";
    "request-body-content-media-type-changed", Err, "Request body content media type changed.";
    "request-body-content-schema-added", Err, "Request body content schema added.";
    "request-body-content-schema-removed", Info, "Request body content schema removed.";
    "request-body-default-value-added", Info, "Request body default value added.";
    "request-body-default-value-changed", Info, "Request body default value changed.";
    "request-body-default-value-removed", Info, "Request body default value removed.";
    "request-body-dependent-required-added", Err, "Request body dependent required added.";
    "request-body-dependent-required-changed", Err, "Request body dependent required changed.";
    "request-body-dependent-required-removed", Info, "Request body dependent required removed.";
    "request-body-dependent-schema-added", Err, "Request body dependent schema added.";
    "request-body-dependent-schema-removed", Info, "Request body dependent schema removed.";
    "request-body-discriminator-added", Info, "Request body discriminator added.";
    "request-body-discriminator-mapping-added", Info, "Request body discriminator mapping added.";
    "request-body-discriminator-mapping-changed", Info, "Request body discriminator mapping changed.";
    "request-body-discriminator-mapping-deleted", Info, "Request body discriminator mapping deleted.";
    "request-body-discriminator-property-name-changed", Info, "Request body discriminator property name changed.";
    "request-body-discriminator-removed", Info, "Request body discriminator removed.";
    "request-body-else-added", Err, "Request body else added.";
    "request-body-else-removed", Info, "Request body else removed.";
    "request-body-enum-value-removed", Err, "Request body enum value removed.";
    "request-body-exclusive-max-decreased", Err, "Request body exclusive max decreased.";
    "request-body-exclusive-max-increased", Info, "Request body exclusive max increased.";
    "request-body-exclusive-max-set", Warn, "Request body exclusive max set.";
    "request-body-exclusive-min-decreased", Info, "Request body exclusive min decreased.";
    "request-body-exclusive-min-increased", Err, "Request body exclusive min increased.";
    "request-body-exclusive-min-set", Warn, "Request body exclusive min set.";
    "request-body-if-added", Err, "Request body if added.";
    "request-body-if-removed", Info, "Request body if removed.";
    "request-body-list-of-types-narrowed", Err, "Request body list of types narrowed.";
    "request-body-list-of-types-widened", Info, "Request body list of types widened.";
    "request-body-max-contains-decreased", Err, "Request body max contains decreased.";
    "request-body-max-contains-increased", Info, "Request body max contains increased.";
    "request-body-max-decreased", Err, "Request body max decreased.";
    "request-body-max-increased", Info, "Request body max increased.";
    "request-body-max-length-decreased", Err, "Request body max length decreased.";
    "request-body-max-length-increased", Info, "Request body max length increased.";
    "request-body-max-length-set", Warn, "Request body max length set.";
    "request-body-max-set", Warn, "Request body max set.";
    "request-body-media-type-added", Info, "Request body media type added.";
    "request-body-media-type-removed", Err, "Request body media type removed.";
    "request-body-media-type-schema-added", Err, "Request body media type schema added.";
    "request-body-media-type-schema-removed", Info, "Request body media type schema removed.";
    "request-body-min-contains-decreased", Info, "Request body min contains decreased.";
    "request-body-min-contains-increased", Err, "Request body min contains increased.";
    "request-body-min-decreased", Info, "Request body min decreased.";
    "request-body-min-increased", Err, "Request body min increased.";
    "request-body-min-items-increased", Err, "Request body min items increased.";
    "request-body-min-items-set", Warn, "Request body min items set.";
    "request-body-min-length-decreased", Info, "Request body min length decreased.";
    "request-body-min-length-increased", Err, "Request body min length increased.";
    "request-body-min-set", Warn, "Request body min set.";
    "request-body-one-of-added", Info, "Request body one of added.";
    "request-body-one-of-removed", Err, "Request body one of removed.";
    "request-body-pattern-property-added", Err, "Request body pattern property added.";
    "request-body-pattern-property-removed", Info, "Request body pattern property removed.";
    "request-body-prefix-items-added", Info, "Request body prefix items added.";
    "request-body-prefix-items-removed", Err, "Request body prefix items removed.";
    "request-body-property-names-added", Err, "Request body property names added.";
    "request-body-property-names-removed", Info, "Request body property names removed.";
    "request-body-removed", Err, "Request body removed.";
    "request-body-then-added", Err, "Request body then added.";
    "request-body-then-removed", Info, "Request body then removed.";
    "request-body-type-changed", Err, "Request body type changed.";
    "request-body-type-compatible", Info, "Request body type compatible.";
    "request-body-type-generalized", Info, "Request body type generalized.";
    "request-body-unevaluated-items-added", Err, "Request body unevaluated items added.";
    "request-body-unevaluated-items-removed", Info, "Request body unevaluated items removed.";
    "request-body-unevaluated-properties-added", Err, "Request body unevaluated properties added.";
    "request-body-unevaluated-properties-removed", Info, "Request body unevaluated properties removed.";
    "request-body-wrapped-in-one-of", Err, "Request body wrapped in one of.";
    "request-header-property-became-enum", Err, "Request header property became enum.";
    "request-header-property-became-required", Err, "Request header property became required.";
    "request-optional-property-became-not-read-only", Info, "Request optional property became not read only.";
    "request-optional-property-became-not-write-only", Info, "Request optional property became not write only.";
    "request-optional-property-became-read-only", Info, "Request optional property became read only.";
    "request-optional-property-became-write-only", Info, "Request optional property became write only.";
    "request-parameter-became-enum", Err, "Request parameter became enum.";
    "request-parameter-became-not-nullable", Err, "Request parameter became not nullable.";
    "request-parameter-became-nullable", Info, "Request parameter became nullable.";
    "request-parameter-became-optional", Info, "Request parameter became optional.";
    "request-parameter-became-required", Err, "Request parameter became required.";
    "request-parameter-default-value-added", Err, "Request parameter default value added.";
    "request-parameter-default-value-changed", Err, "Request parameter default value changed.";
    "request-parameter-default-value-removed", Err, "Request parameter default value removed.";
    "request-parameter-deprecated", Info, "Request parameter deprecated.";
    "request-parameter-deprecated-sunset-missing", Err, "Request parameter deprecated sunset missing.";
    "request-parameter-enum-value-added", Info, "Request parameter enum value added.";
    "request-parameter-enum-value-removed", Err, "Request parameter enum value removed.";
    "request-parameter-exclusive-max-decreased", Err, "Request parameter exclusive max decreased.";
    "request-parameter-exclusive-max-increased", Info, "Request parameter exclusive max increased.";
    "request-parameter-exclusive-max-set", Warn, "Request parameter exclusive max set.";
    "request-parameter-exclusive-min-decreased", Info, "Request parameter exclusive min decreased.";
    "request-parameter-exclusive-min-increased", Err, "Request parameter exclusive min increased.";
    "request-parameter-exclusive-min-set", Warn, "Request parameter exclusive min set.";
    "request-parameter-list-of-types-narrowed", Err, "Request parameter list of types narrowed.";
    "request-parameter-list-of-types-widened", Info, "Request parameter list of types widened.";
    "request-parameter-max-decreased", Err, "Request parameter max decreased.";
    "request-parameter-max-increased", Info, "Request parameter max increased.";
    "request-parameter-max-items-decreased", Err, "Request parameter max items decreased.";
    "request-parameter-max-items-increased", Info, "Request parameter max items increased.";
    "request-parameter-max-length-decreased", Err, "Request parameter max length decreased.";
    "request-parameter-max-length-increased", Info, "Request parameter max length increased.";
    "request-parameter-max-length-set", Warn, "Request parameter max length set.";
    "request-parameter-max-set", Warn, "Request parameter max set.";
    "request-parameter-min-decreased", Info, "Request parameter min decreased.";
    "request-parameter-min-increased", Err, "Request parameter min increased.";
    "request-parameter-min-items-decreased", Info, "Request parameter min items decreased.";
    "request-parameter-min-items-increased", Err, "Request parameter min items increased.";
    "request-parameter-min-items-set", Warn, "Request parameter min items set.";
    "request-parameter-min-length-decreased", Info, "Request parameter min length decreased.";
    "request-parameter-min-length-increased", Err, "Request parameter min length increased.";
    "request-parameter-min-set", Warn, "Request parameter min set.";
    "request-parameter-pattern-added", Err, "Request parameter pattern added.";
    "request-parameter-pattern-changed", Warn, "Request parameter pattern changed.";
    "request-parameter-pattern-generalized", Info, "Request parameter pattern generalized.";
    "request-parameter-pattern-removed", Info, "Request parameter pattern removed.";
    "request-parameter-property-became-not-nullable", Err, "Request parameter property became not nullable.";
    "request-parameter-property-became-nullable", Info, "Request parameter property became nullable.";
    "request-parameter-property-enum-value-added", Info, "Request parameter property enum value added.";
    "request-parameter-property-enum-value-removed", Err, "Request parameter property enum value removed.";
    "request-parameter-property-list-of-types-narrowed", Err, "Request parameter property list of types narrowed.";
    "request-parameter-property-list-of-types-widened", Info, "Request parameter property list of types widened.";
    "request-parameter-property-type-changed", Warn, "Request parameter property type changed.";
    "request-parameter-property-type-generalized", Info, "Request parameter property type generalized.";
    "request-parameter-property-type-specialized", Err, "Request parameter property type specialized.";
    "request-parameter-reactivated", Info, "Request parameter reactivated.";
    "request-parameter-removed", Warn, "Request parameter removed.";
    "request-parameter-removed-before-sunset", Err, "Request parameter removed before sunset.";
    "request-parameter-removed-with-deprecation", Info, "Request parameter removed with deprecation.";
    "request-parameter-sunset-date-changed-too-small", Err, "Request parameter sunset date changed too small.";
    "request-parameter-sunset-date-too-small", Err, "Request parameter sunset date too small.";
    "request-parameter-sunset-deleted", Err, "Request parameter sunset deleted.";
    "request-parameter-sunset-parse", Err, "Request parameter sunset parse.";
    "request-parameter-type-changed", Err, "Request parameter type changed.";
    "request-parameter-type-generalized", Info, "Request parameter type generalized.";
    "request-parameter-x-extensible-enum-value-removed", Err, "Request parameter x extensible enum value removed.";
    "request-property-all-of-added", Err, "Request property all of added.";
    "request-property-all-of-added-annotation-only", Info, "Request property all of added annotation only.";
    "request-property-all-of-removed", Warn, "Request property all of removed.";
    "request-property-all-of-removed-annotation-only", Info, "Request property all of removed annotation only.";
    "request-property-any-of-added", Info, "Request property any of added.";
    "request-property-any-of-removed", Err, "Request property any of removed.";
    "request-property-became-enum", Err, "Request property became enum.";
    "request-property-became-not-nullable", Err, "Request property became not nullable.";
    "request-property-became-nullable", Info, "Request property became nullable.";
    "request-property-became-optional", Info, "Request property became optional.";
    "request-property-became-required", Err, "Request property became required.";
    "request-property-became-required-with-default", Err, "Request property became required with default.";
    "request-property-const-added", Err, "Request property const added.";
    "request-property-const-changed", Err, "Request property const changed.";
    "request-property-const-removed", Info, "Request property const removed.";
    "request-property-contains-added", Err, "Request property contains added.";
    "request-property-contains-removed", Info, "Request property contains removed.";
    "request-property-content-encoding-changed", Err, "Request property content encoding changed.";
    "request-property-content-media-type-changed", Err, "Request property content media type changed.";
    "request-property-content-schema-added", Err, "Request property content schema added.";
    "request-property-content-schema-removed", Info, "Request property content schema removed.";
    "request-property-default-value-added", Info, "Request property default value added.";
    "request-property-default-value-changed", Info, "Request property default value changed.";
    "request-property-default-value-removed", Info, "Request property default value removed.";
    "request-property-dependent-required-added", Err, "Request property dependent required added.";
    "request-property-dependent-required-changed", Err, "Request property dependent required changed.";
    "request-property-dependent-required-removed", Info, "Request property dependent required removed.";
    "request-property-dependent-schema-added", Err, "Request property dependent schema added.";
    "request-property-dependent-schema-removed", Info, "Request property dependent schema removed.";
    "request-property-deprecated", Info, "Request property deprecated.";
    "request-property-deprecated-sunset-invalid", Err, "Request property deprecated sunset invalid.";
    "request-property-deprecated-sunset-missing", Err, "Request property deprecated sunset missing.";
    "request-property-deprecated-with-sunset", Info, "Request property deprecated with sunset.";
    "request-property-discriminator-added", Info, "Request property discriminator added.";
    "request-property-discriminator-mapping-added", Info, "Request property discriminator mapping added.";
    "request-property-discriminator-mapping-changed", Info, "Request property discriminator mapping changed.";
    "request-property-discriminator-mapping-deleted", Info, "Request property discriminator mapping deleted.";
    "request-property-discriminator-property-name-changed", Info, "Request property discriminator property name changed.";
    "request-property-discriminator-removed", Info, "Request property discriminator removed.";
    "request-property-else-added", Err, "Request property else added.";
    "request-property-else-removed", Info, "Request property else removed.";
    "request-property-enum-value-added", Info, "Request property enum value added.";
    "request-property-enum-value-removed", Err, "Request property enum value removed.";
    "request-property-exclusive-max-decreased", Err, "Request property exclusive max decreased.";
    "request-property-exclusive-max-increased", Info, "Request property exclusive max increased.";
    "request-property-exclusive-max-set", Warn, "Request property exclusive max set.";
    "request-property-exclusive-min-decreased", Info, "Request property exclusive min decreased.";
    "request-property-exclusive-min-increased", Err, "Request property exclusive min increased.";
    "request-property-exclusive-min-set", Warn, "Request property exclusive min set.";
    "request-property-if-added", Err, "Request property if added.";
    "request-property-if-removed", Info, "Request property if removed.";
    "request-property-list-of-types-narrowed", Err, "Request property list of types narrowed.";
    "request-property-list-of-types-widened", Info, "Request property list of types widened.";
    "request-property-max-contains-decreased", Err, "Request property max contains decreased.";
    "request-property-max-contains-increased", Info, "Request property max contains increased.";
    "request-property-max-decreased", Err, "Request property max decreased.";
    "request-property-max-increased", Info, "Request property max increased.";
    "request-property-max-length-decreased", Err, "Request property max length decreased.";
    "request-property-max-length-increased", Info, "Request property max length increased.";
    "request-property-max-length-set", Warn, "Request property max length set.";
    "request-property-max-set", Warn, "Request property max set.";
    "request-property-min-contains-decreased", Info, "Request property min contains decreased.";
    "request-property-min-contains-increased", Err, "Request property min contains increased.";
    "request-property-min-decreased", Info, "Request property min decreased.";
    "request-property-min-increased", Err, "Request property min increased.";
    "request-property-min-items-increased", Err, "Request property min items increased.";
    "request-property-min-items-set", Warn, "Request property min items set.";
    "request-property-min-length-decreased", Info, "Request property min length decreased.";
    "request-property-min-length-increased", Err, "Request property min length increased.";
    "request-property-min-set", Warn, "Request property min set.";
    "request-property-one-of-added", Info, "Request property one of added.";
    "request-property-one-of-removed", Err, "Request property one of removed.";
    "request-property-pattern-added", Err, "Request property pattern added.";
    "request-property-pattern-changed", Warn, "Request property pattern changed.";
    "request-property-pattern-generalized", Info, "Request property pattern generalized.";
    "request-property-pattern-property-added", Err, "Request property pattern property added.";
    "request-property-pattern-property-removed", Info, "Request property pattern property removed.";
    "request-property-pattern-removed", Info, "Request property pattern removed.";
    "request-property-prefix-items-added", Info, "Request property prefix items added.";
    "request-property-prefix-items-removed", Err, "Request property prefix items removed.";
    "request-property-property-names-added", Err, "Request property property names added.";
    "request-property-property-names-removed", Info, "Request property property names removed.";
    "request-property-reactivated", Info, "Request property reactivated.";
    "request-property-removed", Warn, "Request property removed.";
    "request-property-stability-decreased", Err, "Request property stability decreased.";
    "request-property-stability-increased", Info, "Request property stability increased.";
    "request-property-sunset-date-too-small", Err, "Request property sunset date too small.";
    "request-property-then-added", Err, "Request property then added.";
    "request-property-then-removed", Info, "Request property then removed.";
    "request-property-type-changed", Err, "Request property type changed.";
    "request-property-type-compatible", Info, "Request property type compatible.";
    "request-property-type-generalized", Info, "Request property type generalized.";
    "request-property-unevaluated-items-added", Err, "Request property unevaluated items added.";
    "request-property-unevaluated-items-removed", Info, "Request property unevaluated items removed.";
    "request-property-unevaluated-properties-added", Err, "Request property unevaluated properties added.";
    "request-property-unevaluated-properties-removed", Info, "Request property unevaluated properties removed.";
    "request-property-x-extensible-enum-value-removed", Err, "Request property x extensible enum value removed.";
    "request-read-only-property-enum-value-removed", Info, "Request read only property enum value removed.";
    "request-read-only-property-exclusive-max-decreased", Info, "Request read only property exclusive max decreased.";
    "request-read-only-property-exclusive-min-increased", Info, "Request read only property exclusive min increased.";
    "request-read-only-property-max-decreased", Info, "Request read only property max decreased.";
    "request-read-only-property-max-length-decreased", Info, "Request read only property max length decreased.";
    "request-read-only-property-min-increased", Info, "Request read only property min increased.";
    "request-required-property-became-not-read-only", Info, "Request required property became not read only.";
    "request-required-property-became-not-write-only", Info, "Request required property became not write only.";
    "request-required-property-became-read-only", Info, "Request required property became read only.";
    "request-required-property-became-write-only", Info, "Request required property became write only.";
    "required-response-header-removed", Err, "Required response header removed.";
    "response-body-all-of-added", Info, "Response body all of added.";
    "response-body-all-of-added-annotation-only", Info, "Response body all of added annotation only.";
    "response-body-all-of-removed", Info, "Response body all of removed.";
    "response-body-all-of-removed-annotation-only", Info, "Response body all of removed annotation only.";
    "response-body-any-of-added", Info, "Response body any of added.";
    "response-body-any-of-removed", Info, "Response body any of removed.";
    "response-body-became-not-nullable", Info, "Response body became not nullable.";
    "response-body-became-nullable", Err, "Response body became nullable.";
    "response-body-const-added", Info, "Response body const added.";
    "response-body-const-changed", Err, "Response body const changed.";
    "response-body-const-removed", Err, "Response body const removed.";
    "response-body-contains-added", Info, "Response body contains added.";
    "response-body-contains-removed", Err, "Response body contains removed.";
    "response-body-content-encoding-changed", Err, "Response body content encoding changed.";
    "response-body-content-media-type-changed", Err, "Response body content media type changed.";
    "response-body-content-schema-added", Info, "Response body content schema added.";
    "response-body-content-schema-removed", Err, "Response body content schema removed.";
    "response-body-default-value-added", Info, "Response body default value added.";
    "response-body-default-value-changed", Info, "Response body default value changed.";
    "response-body-default-value-removed", Info, "Response body default value removed.";
    "response-body-dependent-required-added", Info, "Response body dependent required added.";
    "response-body-dependent-required-changed", Err, "Response body dependent required changed.";
    "response-body-dependent-required-removed", Err, "Response body dependent required removed.";
    "response-body-dependent-schema-added", Info, "Response body dependent schema added.";
    "response-body-dependent-schema-removed", Err, "Response body dependent schema removed.";
    "response-body-discriminator-added", Info, "Response body discriminator added.";
    "response-body-discriminator-mapping-added", Info, "Response body discriminator mapping added.";
    "response-body-discriminator-mapping-changed", Info, "Response body discriminator mapping changed.";
    "response-body-discriminator-mapping-deleted", Info, "Response body discriminator mapping deleted.";
    "response-body-discriminator-property-name-changed", Info, "Response body discriminator property name changed.";
    "response-body-discriminator-removed", Info, "Response body discriminator removed.";
    "response-body-else-added", Info, "Response body else added.";
    "response-body-else-removed", Err, "Response body else removed.";
    "response-body-exclusive-max-increased", Err, "Response body exclusive max increased.";
    "response-body-exclusive-min-decreased", Err, "Response body exclusive min decreased.";
    "response-body-if-added", Info, "Response body if added.";
    "response-body-if-removed", Err, "Response body if removed.";
    "response-body-list-of-types-narrowed", Info, "Response body list of types narrowed.";
    "response-body-list-of-types-widened", Err, "Response body list of types widened.";
    "response-body-max-contains-decreased", Info, "Response body max contains decreased.";
    "response-body-max-contains-increased", Err, "Response body max contains increased.";
    "response-body-max-increased", Err, "Response body max increased.";
    "response-body-max-length-increased", Err, "Response body max length increased.";
    "response-body-max-length-unset", Err, "Response body max length unset.";
    "response-body-media-type-schema-added", Info, "Response body media type schema added.";
    "response-body-media-type-schema-removed", Warn, "Response body media type schema removed.";
    "response-body-min-contains-decreased", Err, "Response body min contains decreased.";
    "response-body-min-contains-increased", Info, "Response body min contains increased.";
    "response-body-min-decreased", Err, "Response body min decreased.";
    "response-body-min-items-decreased", Err, "Response body min items decreased.";
    "response-body-min-items-unset", Err, "Response body min items unset.";
    "response-body-min-length-decreased", Err, "Response body min length decreased.";
    "response-body-one-of-added", Err, "Response body one of added.";
    "response-body-one-of-removed", Info, "Response body one of removed.";
    "response-body-pattern-property-added", Info, "Response body pattern property added.";
    "response-body-pattern-property-removed", Err, "Response body pattern property removed.";
    "response-body-prefix-items-added", Err, "Response body prefix items added.";
    "response-body-prefix-items-removed", Info, "Response body prefix items removed.";
    "response-body-property-names-added", Info, "Response body property names added.";
    "response-body-property-names-removed", Err, "Response body property names removed.";
    "response-body-then-added", Info, "Response body then added.";
    "response-body-then-removed", Err, "Response body then removed.";
    "response-body-type-changed", Err, "Response body type changed.";
    "response-body-type-compatible", Info, "Response body type compatible.";
    "response-body-type-generalized", Err, "Response body type generalized.";
    "response-body-type-specialized", Info, "Response body type specialized.";
    "response-body-unevaluated-items-added", Info, "Response body unevaluated items added.";
    "response-body-unevaluated-items-removed", Err, "Response body unevaluated items removed.";
    "response-body-unevaluated-properties-added", Info, "Response body unevaluated properties added.";
    "response-body-unevaluated-properties-removed", Err, "Response body unevaluated properties removed.";
    "response-body-wrapped-in-one-of", Err, "Response body wrapped in one of.";
    "response-header-added", Info, "Response header added.";
    "response-header-became-not-nullable", Info, "Response header became not nullable.";
    "response-header-became-nullable", Err, "Response header became nullable.";
    "response-header-became-optional", Err, "Response header became optional.";
    "response-header-type-changed", Err, "Response header type changed.";
    "response-header-type-compatible", Info, "Response header type compatible.";
    "response-header-type-generalized", Err, "Response header type generalized.";
    "response-header-type-specialized", Info, "Response header type specialized.";
    "response-media-type-added", Info, "Response media type added.";
    "response-media-type-name-changed", Info, "Response media type name changed.";
    "response-media-type-name-generalized", Err, "Response media type name generalized.";
    "response-media-type-name-specialized", Info, "Response media type name specialized.";
    "response-media-type-removed", Err, "Response media type removed.";
    "response-mediatype-enum-value-removed", Info, "Response mediatype enum value removed.";
    "response-non-success-status-added", Info, "Response non success status added.";
    "response-non-success-status-removed", Info, "Response non success status removed.";
    "response-optional-property-added", Info, "Response optional property added.";
    "response-optional-property-became-not-read-only", Info, "Response optional property became not read only.";
    "response-optional-property-became-not-write-only", Info, "Response optional property became not write only.";
    "response-optional-property-became-read-only", Info, "Response optional property became read only.";
    "response-optional-property-became-write-only", Info, "Response optional property became write only.";
    "response-optional-property-removed", Warn, "Response optional property removed.";
    "response-optional-write-only-property-added", Info, "Response optional write only property added.";
    "response-optional-write-only-property-removed", Info, "Response optional write only property removed.";
    "response-property-all-of-added", Info, "Response property all of added.";
    "response-property-all-of-added-annotation-only", Info, "Response property all of added annotation only.";
    "response-property-all-of-removed", Info, "Response property all of removed.";
    "response-property-all-of-removed-annotation-only", Info, "Response property all of removed annotation only.";
    "response-property-any-of-added", Info, "Response property any of added.";
    "response-property-any-of-removed", Info, "Response property any of removed.";
    "response-property-became-not-nullable", Info, "Response property became not nullable.";
    "response-property-became-nullable", Err, "Response property became nullable.";
    "response-property-became-optional", Err, "Response property became optional.";
    "response-property-became-required", Info, "Response property became required.";
    "response-property-const-added", Info, "Response property const added.";
    "response-property-const-changed", Err, "Response property const changed.";
    "response-property-const-removed", Err, "Response property const removed.";
    "response-property-contains-added", Info, "Response property contains added.";
    "response-property-contains-removed", Err, "Response property contains removed.";
    "response-property-content-encoding-changed", Err, "Response property content encoding changed.";
    "response-property-content-media-type-changed", Err, "Response property content media type changed.";
    "response-property-content-schema-added", Info, "Response property content schema added.";
    "response-property-content-schema-removed", Err, "Response property content schema removed.";
    "response-property-default-value-added", Info, "Response property default value added.";
    "response-property-default-value-changed", Info, "Response property default value changed.";
    "response-property-default-value-removed", Info, "Response property default value removed.";
    "response-property-dependent-required-added", Info, "Response property dependent required added.";
    "response-property-dependent-required-changed", Err, "Response property dependent required changed.";
    "response-property-dependent-required-removed", Err, "Response property dependent required removed.";
    "response-property-dependent-schema-added", Info, "Response property dependent schema added.";
    "response-property-dependent-schema-removed", Err, "Response property dependent schema removed.";
    "response-property-deprecated", Info, "Response property deprecated.";
    "response-property-deprecated-sunset-invalid", Err, "Response property deprecated sunset invalid.";
    "response-property-deprecated-sunset-missing", Err, "Response property deprecated sunset missing.";
    "response-property-deprecated-with-sunset", Info, "Response property deprecated with sunset.";
    "response-property-discriminator-added", Info, "Response property discriminator added.";
    "response-property-discriminator-mapping-added", Info, "Response property discriminator mapping added.";
    "response-property-discriminator-mapping-changed", Info, "Response property discriminator mapping changed.";
    "response-property-discriminator-mapping-deleted", Info, "Response property discriminator mapping deleted.";
    "response-property-discriminator-property-name-changed", Info, "Response property discriminator property name changed.";
    "response-property-discriminator-removed", Info, "Response property discriminator removed.";
    "response-property-else-added", Info, "Response property else added.";
    "response-property-else-removed", Err, "Response property else removed.";
    "response-property-enum-value-added", Warn, "Response property enum value added.";
    "response-property-enum-value-removed", Info, "Response property enum value removed.";
    "response-property-exclusive-max-increased", Err, "Response property exclusive max increased.";
    "response-property-exclusive-min-decreased", Err, "Response property exclusive min decreased.";
    "response-property-if-added", Info, "Response property if added.";
    "response-property-if-removed", Err, "Response property if removed.";
    "response-property-list-of-types-narrowed", Info, "Response property list of types narrowed.";
    "response-property-list-of-types-widened", Err, "Response property list of types widened.";
    "response-property-max-contains-decreased", Info, "Response property max contains decreased.";
    "response-property-max-contains-increased", Err, "Response property max contains increased.";
    "response-property-max-increased", Err, "Response property max increased.";
    "response-property-max-length-increased", Err, "Response property max length increased.";
    "response-property-max-length-unset", Err, "Response property max length unset.";
    "response-property-min-contains-decreased", Err, "Response property min contains decreased.";
    "response-property-min-contains-increased", Info, "Response property min contains increased.";
    "response-property-min-decreased", Err, "Response property min decreased.";
    "response-property-min-items-decreased", Err, "Response property min items decreased.";
    "response-property-min-items-unset", Err, "Response property min items unset.";
    "response-property-min-length-decreased", Err, "Response property min length decreased.";
    "response-property-one-of-added", Err, "Response property one of added.";
    "response-property-one-of-removed", Info, "Response property one of removed.";
    "response-property-pattern-added", Info, "Response property pattern added.";
    "response-property-pattern-changed", Info, "Response property pattern changed.";
    "response-property-pattern-property-added", Info, "Response property pattern property added.";
    "response-property-pattern-property-removed", Err, "Response property pattern property removed.";
    "response-property-pattern-removed", Info, "Response property pattern removed.";
    "response-property-prefix-items-added", Err, "Response property prefix items added.";
    "response-property-prefix-items-removed", Info, "Response property prefix items removed.";
    "response-property-property-names-added", Info, "Response property property names added.";
    "response-property-property-names-removed", Err, "Response property property names removed.";
    "response-property-reactivated", Info, "Response property reactivated.";
    "response-property-stability-decreased", Err, "Response property stability decreased.";
    "response-property-stability-increased", Info, "Response property stability increased.";
    "response-property-sunset-date-too-small", Err, "Response property sunset date too small.";
    "response-property-then-added", Info, "Response property then added.";
    "response-property-then-removed", Err, "Response property then removed.";
    "response-property-type-changed", Err, "Response property type changed.";
    "response-property-type-compatible", Info, "Response property type compatible.";
    "response-property-type-generalized", Err, "Response property type generalized.";
    "response-property-type-specialized", Info, "Response property type specialized.";
    "response-property-unevaluated-items-added", Info, "Response property unevaluated items added.";
    "response-property-unevaluated-items-removed", Err, "Response property unevaluated items removed.";
    "response-property-unevaluated-properties-added", Info, "Response property unevaluated properties added.";
    "response-property-unevaluated-properties-removed", Err, "Response property unevaluated properties removed.";
    "response-required-property-added", Info, "Response required property added.";
    "response-required-property-became-not-read-only", Info, "Response required property became not read only.";
    "response-required-property-became-not-write-only", Warn, "Response required property became not write only.";
    "response-required-property-became-read-only", Info, "Response required property became read only.";
    "response-required-property-became-write-only", Info, "Response required property became write only.";
    "response-required-property-removed", Err, "Response required property removed.";
    "response-required-write-only-property-added", Info, "Response required write only property added.";
    "response-required-write-only-property-removed", Info, "Response required write only property removed.";
    "response-success-status-added", Info, "Response success status added.";
    "response-success-status-removed", Err, "Response success status removed.";
    "response-write-only-property-became-optional", Info, "Response write only property became optional.";
    "response-write-only-property-became-required", Info, "Response write only property became required.";
    "response-write-only-property-enum-value-added", Info, "Response write only property enum value added.";
    "sunset-deleted", Err, "Sunset deleted.";
    "webhook-added", Info, "Webhook added.";
    "webhook-removed", Err, "Webhook removed.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_sorted_and_found_by_id() {
        assert!(CHECKS.windows(2).all(|pair| pair[0].id < pair[1].id));
        let check = check("response-optional-property-removed").expect("known");
        assert_eq!(check.level, Warn);
        assert_eq!(
            check.meta.id,
            "contracts/response-optional-property-removed"
        );
        assert_eq!(check.meta.summary(), "Response optional property removed.");
        assert!(super::check("no-such-check").is_none());
    }
}
