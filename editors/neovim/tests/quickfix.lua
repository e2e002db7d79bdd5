-- Headless end-to-end check with a real client: open a file, wait for cargo commerce's
-- diagnostics, apply the quick fix the server offers to the first error, save every buffer. Driven by
-- cargo-commerce/tests/neovim.rs through environment variables:
--   COMMERCE_BIN (server binary), COMMERCE_FILE (file to open), COMMERCE_REPORT (JSON out).
local report_path = os.getenv('COMMERCE_REPORT')

local function finish(report)
  vim.fn.writefile({ vim.fn.json_encode(report) }, report_path)
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  -- `-u NONE` leaves filetype detection off; the plugin attaches on FileType.
  vim.cmd('filetype on')
  require('commerce').setup({ cmd = { os.getenv('COMMERCE_BIN'), 'lsp' } })
  vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('COMMERCE_FILE')))
  local bufnr = vim.api.nvim_get_current_buf()

  local got = vim.wait(20000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  if not got then
    return finish({ error = 'no diagnostics within 20 s' })
  end
  local diagnostics = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diagnostics, {
      line = diagnostic.lnum, col = diagnostic.col, message = diagnostic.message,
      code = diagnostic.user_data and diagnostic.user_data.lsp and diagnostic.user_data.lsp.code,
    })
  end

  -- Ask for the quick fixes of the first error, as a user does on that line.
  local first = vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR })[1]
  local client
  for _, candidate in ipairs(vim.lsp.get_active_clients()) do
    if candidate.name == 'commerce' then
      client = candidate
    end
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = first.lnum, character = first.col },
      ['end'] = { line = first.end_lnum, character = first.end_col },
    },
    -- What `vim.lsp.buf.code_action()` sends: the line's diagnostics in LSP form.
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, first.lnum), only = { 'quickfix' } },
  }
  local response = client.request_sync('textDocument/codeAction', params, 10000, bufnr)
  local actions = response and response.result or {}
  if #actions == 0 then
    return finish({ error = 'no code action: ' .. vim.inspect(response), diagnostics = diagnostics })
  end
  vim.lsp.util.apply_workspace_edit(actions[1].edit, client.offset_encoding)
  -- The fix may edit another file than the one open (an import cycle's other member).
  vim.cmd('wall')
  finish({ diagnostics = diagnostics, action = actions[1].title })
end)
if not ok then
  finish({ error = tostring(err) })
end
