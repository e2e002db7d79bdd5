-- cargo commerce for Neovim: starts `cargo-commerce lsp` for the files it analyses, one client
-- per project root, and offers :CommerceFixAll and :CommerceRunAffectedTests. Works with Neovim 0.7+ (no nvim-lspconfig needed).
local M = {}

M.defaults = {
  -- The server command; `cargo-commerce` must be on PATH, or give its full path.
  cmd = { 'cargo-commerce', 'lsp' },
  filetypes = {
    'typescript', 'typescriptreact', 'javascript', 'javascriptreact',
    'rust', 'sql', 'yaml', 'json',
  },
  -- The first of these found walking up from a file marks its project root.
  root_markers = { 'commerce.toml', 'Cargo.toml', 'package.json', '.git' },
  -- Sent as initializationOptions, e.g. { ruleDocsUrl = 'https://…/{rule}' }.
  init_options = {},
  -- Force a root instead of searching for markers.
  root_dir = nil,
}

local clients = {} -- root directory -> client id

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  for _, marker in ipairs(markers) do
    local found = vim.fn.findfile(marker, dir .. ';')
    if found == '' then
      found = vim.fn.finddir(marker, dir .. ';')
    end
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h'):gsub('/%.git$', '')
    end
  end
  return dir
end

local function attach(config, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' then
    return
  end
  local root = config.root_dir or find_root(path, config.root_markers)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'commerce',
      cmd = config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      init_options = config.init_options,
    })
    if id == nil then
      vim.notify('cargo commerce: could not start ' .. table.concat(config.cmd, ' '), vim.log.levels.ERROR)
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

--- Applies every safe fix of the current buffer (the server's source.fixAll.commerce action).
function M.fix_all()
  vim.lsp.buf.code_action({
    context = { only = { 'source.fixAll.commerce' }, diagnostics = {} },
    apply = true,
  })
end

--- Runs the tests the current change can reach (`commerce.runAffectedTests`); failures
--- arrive as diagnostics at their assertion line. `base` is the git ref to compare with
--- (default: the server's, origin/main or main).
function M.run_affected_tests(base)
  local client
  for _, attached in pairs(vim.lsp.buf_get_clients(0)) do
    if attached.name == 'commerce' then
      client = attached
    end
  end
  if client == nil then
    vim.notify('cargo commerce: no language server for this buffer', vim.log.levels.WARN)
    return
  end
  local arguments = {}
  if base ~= nil and base ~= '' then
    arguments = { { base = base } }
  end
  vim.notify('cargo commerce: running the affected tests…')
  client.request('workspace/executeCommand', {
    command = 'commerce.runAffectedTests',
    arguments = arguments,
  }, function(err, result)
    if err ~= nil then
      vim.notify('cargo commerce: ' .. err.message, vim.log.levels.ERROR)
    else
      vim.notify(string.format('cargo commerce: %d passed, %d failed of %d selected',
        result.passed, result.failed, result.selected))
    end
  end, 0)
end

function M.setup(opts)
  local config = vim.tbl_deep_extend('force', M.defaults, opts or {})
  local group = vim.api.nvim_create_augroup('commerce_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      attach(config, args.buf)
    end,
  })
  vim.api.nvim_create_user_command('CommerceFixAll', M.fix_all, { desc = 'cargo commerce: fix all' })
  vim.api.nvim_create_user_command('CommerceRunAffectedTests', function(args)
    M.run_affected_tests(args.args)
  end, { nargs = '?', desc = 'cargo commerce: run the tests the change affects' })
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      attach(config, bufnr)
    end
  end
end

return M
