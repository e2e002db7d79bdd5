-- cargo commerce for Neovim: starts `cargo-commerce lsp` for the files it analyses, one client
-- per project root, and offers :CommerceFixAll. Works with Neovim 0.7+ (no nvim-lspconfig needed).
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
  -- Buffers opened before setup() ran.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      attach(config, bufnr)
    end
  end
end

return M
