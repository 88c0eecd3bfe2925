// Runs one prompt through the Claude Agent SDK's query() and prints every SDK message as one JSON line.
//
// Usage: node tools/agent_sdk_query.mjs PROMPT [--allowedTools A,B,C] [--cwd DIR]
// The SDK reads ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY from the environment like the CLI does. The output has the
// shape of `claude -p --output-format stream-json`, so the same parser reads both. Exit code 0 only when the final
// `result` message reports success.
import { query } from '@anthropic-ai/claude-agent-sdk'

const args = process.argv.slice(2)
const prompt = args.shift()
const opts = { allowedTools: 'Read,Bash,Edit,Write,Grep,Glob', cwd: process.cwd() }
while (args.length) {
  const key = args.shift()
  if (key === '--allowedTools') opts.allowedTools = args.shift()
  else if (key === '--cwd') opts.cwd = args.shift()
  else {
    console.error(`unknown argument ${key}`)
    process.exit(2)
  }
}
if (!prompt) {
  console.error('usage: agent_sdk_query.mjs PROMPT [--allowedTools A,B] [--cwd DIR]')
  process.exit(2)
}

let ok = false
try {
  for await (const message of query({
    prompt,
    options: {
      cwd: opts.cwd,
      allowedTools: opts.allowedTools.split(',').filter(Boolean),
      permissionMode: 'acceptEdits',
      settingSources: [],
      env: process.env,
      stderr: (data) => process.stderr.write(data),
    },
  })) {
    process.stdout.write(JSON.stringify(message) + '\n')
    if (message.type === 'result') ok = message.subtype === 'success' && !message.is_error
  }
} catch (err) {
  console.error(`agent_sdk_query: ${err && err.stack ? err.stack : err}`)
  process.exit(1)
}
process.exit(ok ? 0 : 1)
