//! Frontend render checks without a browser: every Next.js page rendered inside its layouts on
//! Node with the app's own `react-dom/server`, in development mode.
//!
//! [`transpile`] turns each project module into CommonJS in Rust (swc) with a position map;
//! [`plan`] gathers what each route reaches through the import graph's resolver; [`pool`] runs
//! the jobs on long-lived Node workers (the script is shipped inside the binary); this module
//! maps what the workers saw (thrown errors, console calls, time) back to the source and turns
//! it into findings ([`rules`]) and a status per route.

pub mod plan;
pub mod pool;
pub mod rules;
pub mod transpile;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use commerce_diagnostics::{Diagnostic, LineIndex, RuleMeta, SourcePosition, TextRange, TextSize};
use commerce_frontend::resolve::ModuleResolver;
use commerce_frontend::{ProblemKind, RenderSummary, Route, RouteProblem, display_path};
use commerce_project::{FileSystem, RenderConfig};
use serde_json::json;

use plan::{Modules, Served, plan};
use pool::{Answer, BlockedFetch, ConsoleCall, JobFailure, JsError, JsFrame, Pool, find_node};
use rules::render_console_error::{self, RenderConsoleError};
use rules::render_error::{self, RenderError};

/// How long one route may render when `[frontend.render] timeout` does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The most Node workers a render starts (each is a Node process with the app loaded).
const MAX_WORKERS: usize = 4;

/// The metadata of every rule of the render step.
pub fn rules() -> Vec<RuleMeta> {
    rules::RULES.iter().map(|rule| rule.meta).collect()
}

/// What the render step reads.
#[derive(Clone, Copy)]
pub struct RenderInput<'a> {
    pub fs: &'a dyn FileSystem,
    /// The project root (absolute).
    pub root: &'a Path,
    /// The routes of the frontend analysis (their statuses decide which are rendered).
    pub routes: &'a [Route],
    /// The resolver the import graph was built with.
    pub resolver: &'a ModuleResolver,
    pub config: &'a RenderConfig,
}

impl std::fmt::Debug for RenderInput<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RenderInput")
            .field("root", &self.root)
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

/// One rendered route.
#[derive(Clone, Debug)]
pub struct RouteRender {
    /// Index into [`RenderInput::routes`].
    pub route: usize,
    pub summary: RenderSummary,
    /// Why it failed: its first finding.
    pub problem: Option<RouteProblem>,
    /// The route's path as its router computed it, when the table could only name the
    /// expression (`/{paths.app.root}`).
    pub path: Option<String>,
}

/// What the render step found.
#[derive(Debug, Default)]
pub struct RenderOutcome {
    pub rendered: Vec<RouteRender>,
    pub diagnostics: Vec<Diagnostic>,
    /// Why routes were not rendered (no Node, no installed React), with how to fix it.
    pub notices: Vec<String>,
}

impl RenderOutcome {
    /// Writes each rendered route's summary, and a failure as its problem, into `routes`
    /// (the same slice the render read), and the paths their routers computed; routes named
    /// anew are sorted back into the table's order (path, then file).
    pub fn apply(&self, routes: &mut [Route]) {
        let mut renamed = false;
        for rendered in &self.rendered {
            if let Some(route) = routes.get_mut(rendered.route) {
                if let Some(path) = &rendered.path
                    && route.path.contains('{')
                {
                    route.path.clone_from(path);
                    renamed = true;
                }
                route.render = Some(rendered.summary);
                route.problems.extend(rendered.problem.clone());
            }
        }
        if renamed {
            routes.sort_by(|a, b| (&a.path, &a.file).cmp(&(&b.path, &b.file)));
        }
    }
}

/// Renders every route that passed the static checks. Never fails: a route that throws,
/// hangs or crashes its worker is a finding; without Node or without the app's React
/// installed, nothing is rendered and [`RenderOutcome::notices`] says how to install them.
pub fn render_routes(input: RenderInput<'_>) -> RenderOutcome {
    let mut outcome = RenderOutcome::default();
    let mut modules = Modules::default();
    let (jobs, skipped) = plan(
        input.fs,
        input.root,
        input.routes,
        input.resolver,
        input.config,
        &mut modules,
    );
    let shown = |dir: &Path| {
        if dir.as_os_str().is_empty() {
            ".".to_owned()
        } else {
            display_path(dir)
        }
    };
    for (dir, packages) in &skipped.missing_dependencies {
        let shown = shown(dir);
        outcome.notices.push(format!(
            "render skipped for the routes under `{shown}`: {packages} are not installed there; run `npm ci` (or `pnpm install`, `yarn install`) in `{shown}`"
        ));
    }
    for (dir, why) in &skipped.unsupported {
        outcome.notices.push(format!(
            "render skipped for the routes under `{}`: {why}",
            shown(dir)
        ));
    }
    if jobs.is_empty() {
        return outcome;
    }
    let node = match find_node() {
        Ok(node) => node,
        Err(why) => {
            outcome.notices.push(format!(
                "render skipped: {why}; install Node.js 18 or newer (https://nodejs.org/en/download) to render routes"
            ));
            return outcome;
        }
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_WORKERS)
        .min(jobs.len());
    let timeout = input.config.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let pool = match Pool::new(&node, workers, timeout) {
        Ok(pool) => pool,
        Err(error) => {
            outcome.notices.push(format!(
                "render skipped: the worker script cannot be written to a temporary directory ({error})"
            ));
            return outcome;
        }
    };
    let answers = run_jobs(&pool, &jobs);
    let judge = Judge {
        fs: input.fs,
        root: input.root,
        modules: &modules,
    };
    for (job, answer) in jobs.iter().zip(answers) {
        let route = &input.routes[job.route];
        if let Ok(Answer {
            unloaded: Some(error),
            ..
        }) = &answer
        {
            outcome.notices.push(judge.unloaded(route, error));
            continue;
        }
        if let Ok(Answer {
            skipped: Some(why),
            path,
            ..
        }) = &answer
        {
            let shown = path.as_deref().unwrap_or(&route.path);
            outcome
                .notices
                .push(format!("render skipped for `{shown}`: {why}"));
            continue;
        }
        let path = answer.as_ref().ok().and_then(|answer| answer.path.clone());
        let (mut rendered, diagnostics) = judge.judge(job.route, route, answer);
        rendered.path = path;
        outcome.rendered.push(rendered);
        outcome.diagnostics.extend(diagnostics);
    }
    outcome
}

/// Runs the jobs on the pool's workers in parallel, answers in job order.
fn run_jobs(pool: &Pool, jobs: &[plan::Job]) -> Vec<Result<Answer, JobFailure>> {
    let next = AtomicUsize::new(0);
    let mut answers: Vec<Option<Result<Answer, JobFailure>>> = jobs.iter().map(|_| None).collect();
    let finished = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..pool.size())
            .map(|slot| {
                let next = &next;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(index) else { break };
                        let mut payload = job.payload.clone();
                        payload["id"] = json!(index);
                        done.push((index, pool.run(slot, &payload.to_string())));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect::<Vec<_>>()
    });
    for (index, answer) in finished {
        answers[index] = Some(answer);
    }
    answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| Err(JobFailure::Crashed("no answer".to_owned()))))
        .collect()
}

/// A stack frame mapped back to the source where it is a project module.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Frame {
    /// Project-relative for files inside the project, else as V8 reported it.
    file: PathBuf,
    line: u32,
    column: u32,
    function: String,
    /// A project module the render step transpiled (not node_modules, not Node's own).
    project: bool,
}

impl Frame {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "file": display_path(&self.file),
            "line": self.line,
            "column": self.column,
            "function": self.function,
        })
    }
}

/// Turns answers into findings and statuses.
struct Judge<'a> {
    fs: &'a dyn FileSystem,
    root: &'a Path,
    modules: &'a Modules,
}

impl Judge<'_> {
    fn judge(
        &self,
        index: usize,
        route: &Route,
        answer: Result<Answer, JobFailure>,
    ) -> (RouteRender, Vec<Diagnostic>) {
        let answer = match answer {
            Ok(answer) => answer,
            Err(failure) => {
                let ms = match failure {
                    JobFailure::Timeout(timeout) => millis(timeout),
                    _ => 0,
                };
                let help = match failure {
                    JobFailure::Timeout(_) => {
                        "the page never finished rendering: look for a loop that never ends or a promise that never settles in it or the components it renders"
                    }
                    _ => {
                        "the worker process ended while rendering this route (out of memory, a native crash): run the page alone to see why"
                    }
                };
                let (path, range) = self.page_position(&route.file);
                let line = self
                    .fs
                    .read_to_string(&self.root.join(&path))
                    .map_or(1, |text| {
                        LineIndex::new(&text).source_position(range.start()).line
                    });
                let reason = format!("{failure} at {}:{line}", display_path(&path));
                let diagnostic = Diagnostic::new(
                    RenderError::META.id,
                    RenderError::META.default_severity,
                    &path,
                    range,
                    format!("rendering `{}` {failure}", route.path),
                )
                .with_help(help)
                .with_data("route", route.path.as_str())
                .with_data("stack", json!([]))
                .with_data("console", json!([]));
                return self.failed(index, ms, vec![diagnostic], Some(reason));
            }
        };
        let console: Vec<String> = answer
            .console
            .iter()
            .map(|call| format!("console.{}: {}", call.level, call.message))
            .collect();
        let mut diagnostics = Vec::new();
        let mut first_reason = None;
        if let Some(error) = &answer.error {
            let (diagnostic, reason) = self.thrown(route, error, &answer.fetches, &console);
            diagnostics.push(diagnostic);
            first_reason = Some(reason);
        }
        let mut seen = Vec::new();
        for call in &answer.console {
            if seen.contains(&&call.message) {
                continue;
            }
            seen.push(&call.message);
            let (diagnostic, reason) = self.logged(route, call);
            diagnostics.push(diagnostic);
            first_reason.get_or_insert(reason);
        }
        if diagnostics.is_empty() {
            let rendered = RouteRender {
                route: index,
                summary: RenderSummary {
                    ok: true,
                    ms: answer.ms,
                },
                problem: None,
                path: None,
            };
            return (rendered, diagnostics);
        }
        self.failed(index, answer.ms, diagnostics, first_reason)
    }

    /// The notice for a route whose loader could not run here.
    fn unloaded(&self, route: &Route, error: &JsError) -> String {
        let at = self
            .map_frames(&error.frames)
            .into_iter()
            .find(|frame| frame.project)
            .map(|frame| format!(" at {}:{}", display_path(&frame.file), frame.line))
            .unwrap_or_default();
        let message = first_line(&error.message);
        let needs = if browser_global(&error.name, &message).is_some() {
            "a loader (or a lazy route's module) that needs a browser cannot run here"
        } else {
            "a loader that needs its server's load context (a database, platform bindings) cannot run here"
        };
        format!(
            "render skipped for `{}`: its loader threw {}: {message}{at}; {needs}",
            route.path, error.name,
        )
    }

    fn failed(
        &self,
        index: usize,
        ms: u64,
        diagnostics: Vec<Diagnostic>,
        reason: Option<String>,
    ) -> (RouteRender, Vec<Diagnostic>) {
        let first = &diagnostics[0];
        let problem = RouteProblem {
            kind: ProblemKind::Render,
            reason: reason.unwrap_or_else(|| first.message.clone()),
            fix: first.help.clone(),
            path: first.path.clone(),
            range: first.range,
        };
        let rendered = RouteRender {
            route: index,
            summary: RenderSummary { ok: false, ms },
            problem: Some(problem),
            path: None,
        };
        (rendered, diagnostics)
    }

    /// A thrown error: the finding at the project line that threw, and the route's reason.
    fn thrown(
        &self,
        route: &Route,
        error: &JsError,
        fetches: &[BlockedFetch],
        console: &[String],
    ) -> (Diagnostic, String) {
        // A blocked fetch the app wrapped in an error of its own is located where the fetch
        // was made, not where the wrapper was thrown.
        let blocked = fetches.iter().find(|fetch| {
            error.url.as_deref() == Some(fetch.url.as_str())
                || error.message.contains(&format!("fetch({})", fetch.url))
        });
        let mut frames = self.map_frames(&error.frames);
        if let Some(fetch) = blocked {
            let at_fetch = self.map_frames(&fetch.frames);
            if at_fetch.iter().any(|frame| frame.project) {
                frames = at_fetch;
            }
        }
        let message = first_line(&error.message);
        let mut what = format!("{}: {message}", error.name);
        if error.name == "SyntaxError"
            && let Some(place) = error.stack.as_deref().and_then(syntax_error_place)
        {
            let shown = self.shown(&place);
            what = format!("{what} (in {shown})");
        }
        let located = error
            .source
            .as_ref()
            .map(|source| {
                (
                    self.relative(Path::new(&source.file)),
                    source.line,
                    source.column,
                )
            })
            .or_else(|| {
                frames
                    .iter()
                    .find(|frame| frame.project)
                    .map(|frame| (frame.file.clone(), frame.line, frame.column))
            });
        let (path, range) = match &located {
            Some((file, line, column)) => (file.clone(), self.range_at(file, *line, *column)),
            None => self.page_position(&route.file),
        };
        let at = located
            .as_ref()
            .map(|(file, line, _)| format!(" at {}:{line}", display_path(file)))
            .unwrap_or_default();
        let diagnostic = Diagnostic::new(
            RenderError::META.id,
            RenderError::META.default_severity,
            &path,
            range,
            format!("rendering `{}` threw {what}", route.path),
        )
        .with_help(render_error::help(
            &error.name,
            &error.message,
            error.url.as_deref(),
        ))
        .with_data("route", route.path.as_str())
        .with_data(
            "stack",
            json!(frames.iter().map(Frame::to_json).collect::<Vec<_>>()),
        )
        .with_data("console", json!(console));
        (diagnostic, format!("{what}{at}"))
    }

    /// A console call: the finding at the component React's component stack names first in
    /// the project (else where the call was made), and the route's reason.
    fn logged(&self, route: &Route, call: &ConsoleCall) -> (Diagnostic, String) {
        let (level, message) = (call.level.as_str(), call.message.as_str());
        let mut stack = component_stack(message);
        stack.extend(component_stack(
            call.owner_stack.as_deref().unwrap_or_default(),
        ));
        let mut frames = self.map_frames(&stack);
        if !frames.iter().any(|frame| frame.project) {
            frames = self.map_frames(&call.frames);
        }
        let located = frames.iter().find(|frame| frame.project);
        let (path, range) = match located {
            Some(frame) => (
                frame.file.clone(),
                self.range_at(&frame.file, frame.line, frame.column),
            ),
            None => self.page_position(&route.file),
        };
        let component = named_component(message).or_else(|| {
            located
                .map(|frame| frame.function.as_str())
                .filter(|function| !function.is_empty())
        });
        let text = first_line(message);
        let at = located
            .map(|frame| format!(" at {}:{}", display_path(&frame.file), frame.line))
            .unwrap_or_default();
        let diagnostic = Diagnostic::new(
            RenderConsoleError::META.id,
            RenderConsoleError::META.default_severity,
            &path,
            range,
            format!("rendering `{}` logged console.{level}: {text}", route.path),
        )
        .with_help(render_console_error::help(message, component))
        .with_data("route", route.path.as_str())
        .with_data(
            "stack",
            json!(frames.iter().map(Frame::to_json).collect::<Vec<_>>()),
        )
        .with_data("console", json!([format!("console.{level}: {message}")]));
        (diagnostic, format!("console.{level}: {text}{at}"))
    }

    fn map_frames(&self, frames: &[JsFrame]) -> Vec<Frame> {
        frames
            .iter()
            // Node's own frames (`node:internal/...`) say nothing about the app.
            .filter(|frame| !frame.file.is_empty() && !frame.file.starts_with("node:"))
            .map(|frame| {
                let file = Path::new(&frame.file);
                let mapped = match self.modules.served.get(file) {
                    Some(Served::Module {
                        transpiled: Ok(transpiled),
                        ..
                    }) => transpiled.map.original(frame.line, frame.column),
                    _ => None,
                };
                let in_packages = file
                    .components()
                    .any(|component| component.as_os_str() == "node_modules");
                let (line, column) = mapped.unwrap_or((frame.line, frame.column));
                Frame {
                    file: self.relative(file),
                    line,
                    column,
                    function: frame.function.clone(),
                    project: mapped.is_some() && !in_packages,
                }
            })
            .collect()
    }

    fn relative(&self, file: &Path) -> PathBuf {
        file.strip_prefix(self.root)
            .map_or_else(|_| file.to_path_buf(), Path::to_path_buf)
    }

    /// `path:line` of a place Node reported, relative to the project when inside it.
    fn shown(&self, place: &(String, u32)) -> String {
        format!(
            "{}:{}",
            display_path(&self.relative(Path::new(&place.0))),
            place.1
        )
    }

    /// The range from `line:column` (1-based) to the end of that line, in a project file.
    fn range_at(&self, file: &Path, line: u32, column: u32) -> TextRange {
        let Ok(text) = self.fs.read_to_string(&self.root.join(file)) else {
            return TextRange::default();
        };
        let index = LineIndex::new(&text);
        let start = index
            .offset_of(SourcePosition { line, column })
            .unwrap_or_default();
        let end = line
            .checked_sub(1)
            .and_then(|line| index.line_range(line))
            .map_or(start, |range| {
                let line_text = &text[range.start().to_usize()..range.end().to_usize()];
                let trimmed = line_text.trim_end_matches(['\n', '\r']).len();
                range.start() + TextSize::from_usize(trimmed)
            });
        TextRange::new(start, end.max(start))
    }

    /// Where a finding about the whole page goes: its `export default` line, else line 1.
    fn page_position(&self, page: &Path) -> (PathBuf, TextRange) {
        let line = self
            .fs
            .read_to_string(&self.root.join(page))
            .ok()
            .and_then(|text| {
                text.lines()
                    .position(|line| line.contains("export default"))
            })
            .and_then(|line| u32::try_from(line + 1).ok())
            .unwrap_or(1);
        (page.to_path_buf(), self.range_at(page, line, 1))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The first line of a message, at most 300 characters.
fn first_line(message: &str) -> String {
    let line = message
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut shown: String = line.chars().take(300).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    shown
}

/// The browser global a `ReferenceError` says is missing (`window is not defined`).
fn browser_global<'a>(name: &str, message: &'a str) -> Option<&'a str> {
    let global = message.strip_suffix(" is not defined")?;
    (name == "ReferenceError"
        && matches!(
            global,
            "window" | "document" | "navigator" | "localStorage" | "sessionStorage" | "location"
        ))
    .then_some(global)
}

/// `/abs/file.js:3` from the first line of the stack Node gives a syntax error in a module
/// it compiled itself (a package).
fn syntax_error_place(stack: &str) -> Option<(String, u32)> {
    let first = stack.lines().next()?;
    let (file, line) = first.rsplit_once(':')?;
    let line = line.trim().parse().ok()?;
    Path::new(file)
        .is_absolute()
        .then(|| (file.to_owned(), line))
}

/// The component React names in "Check the render method of `Catalog`."
fn named_component(message: &str) -> Option<&str> {
    let rest = message.split_once("Check the render method of `")?.1;
    rest.split_once('`').map(|(name, _)| name)
}

/// The frames of a component stack React appends to its warnings:
/// `    at Catalog (/abs/app/page.tsx:7:9)` lines.
fn component_stack(message: &str) -> Vec<JsFrame> {
    message
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("at ")?;
            let (function, place) = match rest
                .strip_suffix(')')
                .and_then(|rest| rest.split_once(" ("))
            {
                Some((function, place)) => (function, place),
                None => ("", rest),
            };
            let mut parts = place.rsplitn(3, ':');
            let column = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            let file = parts.next()?;
            Some(JsFrame {
                file: file.to_owned(),
                line,
                column,
                function: function.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_stack_is_read_from_a_react_warning() {
        let frames = component_stack(
            "Each child in a list should have a unique \"key\" prop.\n    at li (<anonymous>)\n    at Catalog (/shop/app/page.tsx:7:9)\n",
        );
        assert_eq!(
            frames,
            [JsFrame {
                file: "/shop/app/page.tsx".to_owned(),
                line: 7,
                column: 9,
                function: "Catalog".to_owned(),
            }]
        );
    }

    #[test]
    fn a_missing_browser_global_is_named() {
        assert_eq!(
            browser_global("ReferenceError", "window is not defined"),
            Some("window")
        );
        assert_eq!(browser_global("ReferenceError", "db is not defined"), None);
        assert_eq!(browser_global("TypeError", "window is not defined"), None);
    }

    #[test]
    fn a_package_syntax_error_says_where_node_found_it() {
        assert_eq!(
            syntax_error_place("/shop/node_modules/pkg/index.js:3\n  return (;\n"),
            Some(("/shop/node_modules/pkg/index.js".to_owned(), 3))
        );
        assert_eq!(syntax_error_place("SyntaxError: Unexpected token"), None);
    }
}
