//! `frontend/render-error`: a route that throws (or hangs, or ends its worker) while it renders.

use commerce_diagnostics::{FixAvailability, Rule, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Renders every route of the app with its layouts on Node (the app's own
    /// `react-dom/server`, development mode) and reports a route whose render throws, at the
    /// project line that threw (the stack mapped back to the TypeScript source; frames inside
    /// `node_modules` are skipped for the location). A render that does not finish within
    /// `[frontend.render] timeout`, a blocked `fetch`, a module that calls `process.exit`
    /// and a package that does not load are reported the same way.
    ///
    /// ## Why is this bad?
    /// The page is broken for every visitor: a server component that throws shows the error
    /// page, and teams find out in a slow browser test or in production. The render step sees
    /// it in milliseconds per route.
    ///
    /// ## Example
    /// ```tsx
    /// export function Price({ product }: { product?: Product }) {
    ///   return <span>{product.price.amount}</span>; // TypeError when no product is passed
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```tsx
    /// export function Price({ product }: { product: Product }) {
    ///   return <span>{product.price.amount}</span>;
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix; `help` suggests one by the kind of error (a guard or a
    /// required prop, the provider a hook needs, a fixture for a fetch).
    pub RenderError {
        id: "frontend/render-error",
        severity: Severity::Error,
        fix: FixAvailability::None,
    }
}

pub(crate) const RULE: Rule = Rule::reported(RenderError::META);

/// The suggested fix for a thrown error, by its class.
pub fn help(name: &str, message: &str, url: Option<&str>) -> String {
    // The app may wrap the blocked fetch's error in its own: the URL is still in the text.
    let url = url.or_else(|| blocked_url(message));
    if let Some(url) = url {
        return format!(
            "the render step blocks the network: map `{url}` to a JSON file in `[frontend.render] fixtures`, or fetch it outside the render"
        );
    }
    if message.contains("Cannot read properties of undefined")
        || message.contains("Cannot read properties of null")
        || message.contains("is not a function")
        || message.contains("is not iterable")
    {
        return "a value is missing while the page renders: guard it (`value?.field`) or make the prop it comes from required and pass it".to_owned();
    }
    if let Some(provider) = provider_named(message) {
        return format!(
            "the hook needs `<{provider}>` above it: wrap the page in it (in a layout, or in `[frontend.render] providers`)"
        );
    }
    if name == "RangeError" && message.contains("call stack") {
        return "a component renders itself without end: add the condition that stops the recursion".to_owned();
    }
    if message.contains("process.exit(") {
        return "a module the page imports calls process.exit while it loads: move that call out of the page's modules".to_owned();
    }
    if name == "SyntaxError" {
        return "the code does not parse on Node: fix the syntax, or for a package reinstall it or pin a version that works".to_owned();
    }
    "fix the error where it is thrown; the mapped stack is in `data.stack`".to_owned()
}

/// The URL of a blocked fetch named in an error message (`fetch(URL) during render`).
fn blocked_url(message: &str) -> Option<&str> {
    let (before, _) = message.split_once(") during render: the render step blocks the network")?;
    before.rsplit_once("fetch(").map(|(_, url)| url)
}

/// `XProvider` in "useX must be used inside <XProvider>" and similar messages.
pub(crate) fn provider_named(message: &str) -> Option<&str> {
    if !(message.contains("must be used") || message.contains("outside")) {
        return None;
    }
    message
        .split(|character: char| {
            !(character.is_alphanumeric() || character == '_' || character == '.')
        })
        .find(|word| word.ends_with("Provider") && word.len() > "Provider".len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_the_fix_for_each_class() {
        let undefined = help(
            "TypeError",
            "Cannot read properties of undefined (reading 'price')",
            None,
        );
        assert!(undefined.contains("required"), "{undefined}");
        let provider = help("Error", "useCart must be used inside <CartProvider>", None);
        assert!(provider.contains("`<CartProvider>`"), "{provider}");
        let fetch = help(
            "BlockedFetch",
            "fetch(https://a.example/x) during render",
            Some("https://a.example/x"),
        );
        assert!(fetch.contains("fixtures"), "{fetch}");
        let recursion = help("RangeError", "Maximum call stack size exceeded", None);
        assert!(recursion.contains("recursion"), "{recursion}");
        let exit = help("Error", "process.exit(1) called while rendering", None);
        assert!(exit.contains("process.exit"), "{exit}");
        let wrapped = help(
            "Error",
            "Error setting up the request: fetch(http://localhost:9000/store/regions) during render: the render step blocks the network",
            None,
        );
        assert!(
            wrapped.contains("`http://localhost:9000/store/regions`"),
            "{wrapped}"
        );
        let other = help("Error", "boom", None);
        assert!(other.contains("data.stack"), "{other}");
    }

    #[test]
    fn a_provider_is_named_only_by_a_hook_message() {
        assert_eq!(
            provider_named("useX must be used within a ThemeProvider"),
            Some("ThemeProvider")
        );
        assert_eq!(provider_named("ThemeProvider failed"), None);
    }
}
