// The VS Code side of cargo commerce: a language client for `cargo-commerce lsp`.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

// The fix-all code action kind the server advertises.
const FIX_ALL_KIND = "source.fixAll.commerce";

let client: LanguageClient | undefined;

function serverOptions(config: vscode.WorkspaceConfiguration): ServerOptions {
  const command = config.get<string>("server.path", "cargo-commerce");
  const extraEnv = config.get<Record<string, string>>("server.extraEnv", {});
  const run = { command, args: ["lsp"], options: { env: { ...process.env, ...extraEnv } } };
  return { run, debug: run };
}

function clientOptions(config: vscode.WorkspaceConfiguration): LanguageClientOptions {
  const languages = ["typescript", "typescriptreact", "javascript", "javascriptreact", "rust", "sql", "yaml", "json"];
  return {
    documentSelector: languages.map((language) => ({ scheme: "file", language })),
    initializationOptions: { ruleDocsUrl: config.get<string | null>("ruleDocsUrl", null) },
    synchronize: {
      // Configuration and files other documents depend on (imports, specs, migrations).
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{commerce.toml,*.ts,*.tsx,*.js,*.jsx,*.sql,*.yaml,*.yml,*.json}"),
    },
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("commerce");
  client = new LanguageClient("commerce", "cargo commerce", serverOptions(config), clientOptions(config));
  try {
    await client.start();
  } catch (error) {
    const path = config.get<string>("server.path", "cargo-commerce");
    void vscode.window.showErrorMessage(
      `cargo commerce: could not start \`${path} lsp\` (${String(error)}). ` +
        "Install it with `cargo install --path cargo-commerce` or set `commerce.server.path`.",
    );
    return;
  }
  context.subscriptions.push(client);
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    "vscode.executeCodeActionProvider",
    editor.document.uri,
    new vscode.Range(0, 0, editor.document.lineCount, 0),
    FIX_ALL_KIND,
  );
  const fixAllAction = actions?.find((action) => action.kind?.value === FIX_ALL_KIND);
  if (fixAllAction?.edit) {
    await vscode.workspace.applyEdit(fixAllAction.edit);
  } else {
    void vscode.window.showInformationMessage("cargo commerce: nothing to fix");
  }
}

// `commerce.runAffectedTests` is not registered here: the language client registers every
// command the server lists in `executeCommandProvider` and forwards it to the server, which
// reports progress and publishes the failures as diagnostics.
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("commerce.restartServer", async () => {
      await client?.stop();
      await start(context);
    }),
    vscode.commands.registerCommand("commerce.fixAll", fixAll),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
