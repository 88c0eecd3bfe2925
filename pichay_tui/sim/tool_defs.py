"""Claude-Code-like tool definitions the simulated agent advertises (realistic names, schemas and sizes)."""
from __future__ import annotations

from typing import Any

_S = "http://json-schema.org/draft-07/schema#"


def _tool(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"name": name, "description": description.strip(), "input_schema": {
        "type": "object", "properties": props, "required": required, "additionalProperties": False, "$schema": _S}}


def _p(kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **extra}


_USAGE = """
Usage notes:
- Prefer the dedicated tools (Read, Edit, Write, Grep, Glob) over shell equivalents; they are faster, their
  output is formatted for you, and the user can review what they do.
- When several independent calls are needed, issue them together in one message so they run in parallel.
- Paths must be absolute. Relative paths are resolved against the primary working directory only when stated.
- Results may be truncated when they are very long; narrow the request (offset/limit, a tighter pattern) rather
  than repeating it unchanged.
- A failed call returns an error result describing the problem; read it and adjust before retrying.
"""

READ = _tool("Read", """
Reads a file from the local filesystem. You can access any file directly by using this tool.
Assume this tool is able to read all files on the machine. If the user provides a path to a file assume that
path is valid. It is okay to read a file that does not exist; an error will be returned.

- The file_path parameter must be an absolute path, not a relative path.
- By default, it reads up to 2000 lines starting from the beginning of the file.
- You can optionally specify a line offset and limit (especially handy for long files), but it's recommended to
  read the whole file by not providing these parameters.
- Any lines longer than 2000 characters will be truncated.
- Results are returned using cat -n format, with line numbers starting at 1.
- This tool can read images, PDFs and Jupyter notebooks, presenting their content appropriately.
- This tool can only read files, not directories. To read a directory, use an ls command via the Bash tool.
- If you read a file that exists but has empty contents you will receive a system reminder warning instead.
""" + _USAGE, {"file_path": _p("string", "The absolute path to the file to read"),
               "offset": _p("number", "The line number to start reading from. Only provide if the file is too large "
                                      "to read at once"),
               "limit": _p("number", "The number of lines to read. Only provide if the file is too large to read at "
                                     "once.")}, ["file_path"])

BASH = _tool("Bash", """
Executes a given bash command with an optional timeout, in the primary working directory, and returns its
combined stdout and stderr.

Before executing the command:
1. Directory verification: if the command creates directories or files, first check the parent exists.
2. Command execution: always quote file paths that contain spaces with double quotes.

Usage notes:
- The command argument is required.
- You can specify an optional timeout in milliseconds (up to 600000ms / 10 minutes). Default: 120000ms.
- Write a clear, concise description of what the command does in 5-10 words.
- If the output exceeds 30000 characters, output will be truncated before being returned to you.
- Avoid using Bash with the `find`, `grep`, `cat`, `head`, `tail`, `sed`, `awk`, or `echo` commands, unless
  explicitly instructed or when these commands are truly necessary for the task. Instead, always prefer the
  dedicated tools: Glob for file search, Grep for content search, Read for reading files, Edit for editing.
- When issuing multiple commands, use ';' or '&&' to separate them rather than newlines.
- Try to maintain your current working directory by using absolute paths and avoiding `cd`.

# Committing changes with git
Only create commits when requested by the user. Never update the git config, never run destructive git
commands (push --force, hard reset) unless the user explicitly asks, never skip hooks, and never commit files
that likely contain secrets. Draft a concise commit message that focuses on why rather than what.
""", {"command": _p("string", "The command to execute"),
      "timeout": _p("number", "Optional timeout in milliseconds (max 600000)"),
      "description": _p("string", "Clear, concise description of what this command does in 5-10 words"),
      "run_in_background": _p("boolean", "Set to true to run this command in the background.")}, ["command"])

EDIT = _tool("Edit", """
Performs exact string replacements in files.

Usage:
- You must use your Read tool at least once in the conversation before editing. This tool will error if you
  attempt an edit without reading the file.
- When editing text from Read tool output, ensure you preserve the exact indentation (tabs/spaces) as it appears
  AFTER the line number prefix. Never include any part of the line number prefix in old_string or new_string.
- ALWAYS prefer editing existing files in the codebase. NEVER write new files unless explicitly required.
- The edit will FAIL if old_string is not unique in the file. Either provide a larger string with more
  surrounding context to make it unique or use replace_all to change every instance of old_string.
- Use replace_all for replacing and renaming strings across the file.
""", {"file_path": _p("string", "The absolute path to the file to modify"),
      "old_string": _p("string", "The text to replace"),
      "new_string": _p("string", "The text to replace it with (must be different from old_string)"),
      "replace_all": _p("boolean", "Replace all occurences of old_string (default false)", default=False)},
    ["file_path", "old_string", "new_string"])

WRITE = _tool("Write", """
Writes a file to the local filesystem, overwriting the existing file if there is one.
- If this is an existing file, you MUST use the Read tool first to read the file's contents.
- ALWAYS prefer editing existing files. NEVER proactively create documentation files (*.md) or READMEs.
""", {"file_path": _p("string", "The absolute path to the file to write (must be absolute, not relative)"),
      "content": _p("string", "The content to write to the file")}, ["file_path", "content"])

GREP = _tool("Grep", """
A powerful search tool built on regular expressions.
- ALWAYS use Grep for search tasks. NEVER invoke `grep` or `rg` as a Bash command.
- Supports full regex syntax (e.g. "log.*Error", "function\\s+\\w+").
- Filter files with the glob parameter (e.g. "*.js", "**/*.tsx") or the type parameter.
- Output modes: "content" shows matching lines, "files_with_matches" shows only file paths (default), "count"
  shows match counts per file.
""", {"pattern": _p("string", "The regular expression pattern to search for in file contents"),
      "path": _p("string", "File or directory to search in. Defaults to current working directory."),
      "glob": _p("string", "Glob pattern to filter files (e.g. \"*.js\", \"*.{ts,tsx}\")"),
      "output_mode": _p("string", "Output mode (default files_with_matches)",
                        enum=["content", "files_with_matches", "count"]),
      "-i": _p("boolean", "Case insensitive search"),
      "-n": _p("boolean", "Show line numbers in output (content mode only)"),
      "head_limit": _p("number", "Limit output to the first N lines/entries")}, ["pattern"])

GLOB = _tool("Glob", """
Fast file pattern matching tool that works with any codebase size.
- Supports glob patterns like "**/*.js" or "src/**/*.ts".
- Returns matching file paths sorted by modification time.
- Use this tool when you need to find files by name patterns.
""", {"pattern": _p("string", "The glob pattern to match files against"),
      "path": _p("string", "The directory to search in. Defaults to the current working directory.")}, ["pattern"])

TASK = _tool("Task", """
Launch a new agent to handle complex, multi-step tasks autonomously. The agent runs in its own conversation with
its own context window and returns a single final report; it cannot see this conversation, so the prompt must
be self-contained. Available agent types: general-purpose (research, multi-step searches, code reading).
- Launch multiple agents concurrently whenever possible, in one message with several tool uses.
- The agent's result is not shown to the user; summarise it yourself.
""", {"description": _p("string", "A short (3-5 word) description of the task"),
      "prompt": _p("string", "The task for the agent to perform"),
      "subagent_type": _p("string", "The type of specialized agent to use for this task")},
    ["description", "prompt", "subagent_type"])

TODO = _tool("TodoWrite", """
Use this tool to create and manage a structured task list for your current coding session. It helps you track
progress, organize complex tasks, and demonstrate thoroughness to the user. Use it proactively for tasks with
three or more distinct steps; mark exactly one task in_progress at a time and complete tasks as soon as done.
""", {"todos": {"type": "array", "description": "The updated todo list", "items": {
    "type": "object", "required": ["content", "status", "activeForm"], "properties": {
        "content": {"type": "string", "minLength": 1},
        "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]},
        "activeForm": {"type": "string", "minLength": 1}}}}}, ["todos"])

WEBFETCH = _tool("WebFetch", """
Fetches content from a specified URL and processes it using an AI model: takes a URL and a prompt, converts
HTML to markdown, and answers the prompt from the page. HTTP URLs are upgraded to HTTPS; results may be cached
for 15 minutes; redirects to another host are reported instead of followed.
""", {"url": _p("string", "The URL to fetch content from", format="uri"),
      "prompt": _p("string", "The prompt to run on the fetched content")}, ["url", "prompt"])

NOTEBOOK = _tool("NotebookEdit", """
Completely replaces the contents of a specific cell in a Jupyter notebook (.ipynb file) with new source.
cell_number is 0-indexed. Use edit_mode=insert to add a new cell, edit_mode=delete to delete one.
""", {"notebook_path": _p("string", "The absolute path to the Jupyter notebook file to edit"),
      "cell_id": _p("string", "The ID of the cell to edit"),
      "new_source": _p("string", "The new source for the cell"),
      "cell_type": _p("string", "The type of the cell", enum=["code", "markdown"]),
      "edit_mode": _p("string", "The type of edit to make", enum=["replace", "insert", "delete"])},
    ["notebook_path", "new_source"])

TOOLS: list[dict[str, Any]] = [TASK, BASH, GLOB, GREP, READ, EDIT, WRITE, NOTEBOOK, WEBFETCH, TODO]
