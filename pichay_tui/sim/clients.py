"""The real agent clients of the CI matrix: Claude Code builds and the Claude Agent SDK, as installed under tools/.

Each is one entry of tools/package.json (older builds under npm aliases such as `claude-code-2.0.77`), so one
`npm install` in tools/ brings them all. A client that is not installed, or installed at another version, raises
`ClientMissing` with the command that fixes it: the matrix never skips a client.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .claude_cli import DEFAULT_TOOLS, ClaudeRun, claude_env, run_stream_json

TOOLS_DIR = Path(__file__).resolve().parents[2] / "tools"
INSTALL_HELP = "Run ./test.sh (or `npm install` in tools/), which installs every pinned agent client."


class ClientMissing(RuntimeError):
    """A pinned client is not installed under tools/node_modules (or is another version)."""


@dataclass(frozen=True)
class Client:
    """One real client: a Claude Code build (`claude -p`) or the Agent SDK (`query()` from a node script)."""

    key: str        # short id used in test ids and the matrix table
    package: str    # directory under tools/node_modules
    version: str    # the version tools/package.json pins
    kind: str = "cli"   # "cli" | "sdk"
    bundles: str = ""   # the Claude Code build an SDK runs

    @property
    def label(self) -> str:
        if self.kind == "sdk":
            return f"Agent SDK {self.version} (query(), Claude Code {self.bundles})"
        return f"Claude Code {self.version}"

    def package_dir(self, tools: Path = TOOLS_DIR) -> Path:
        return tools / "node_modules" / self.package

    def check(self, tools: Path = TOOLS_DIR) -> Path:
        """The installed package directory; raises ClientMissing when absent or at another version."""
        manifest = self.package_dir(tools) / "package.json"
        if not manifest.exists():
            raise ClientMissing(f"{self.label} is not installed ({manifest} missing). {INSTALL_HELP}")
        found = json.loads(manifest.read_text()).get("version")
        if found != self.version:
            raise ClientMissing(f"{self.label}: tools/node_modules/{self.package} is version {found}. {INSTALL_HELP}")
        return manifest.parent

    def argv(self, prompt: str, allowed_tools: str = DEFAULT_TOOLS, tools: Path = TOOLS_DIR) -> list[str]:
        """The command line that runs `prompt` non-interactively with stream-json output."""
        pkg = self.check(tools)
        node = shutil.which("node") or "node"
        if self.kind == "sdk":
            return [node, str(tools / "agent_sdk_query.mjs"), prompt, "--allowedTools", allowed_tools]
        bin_rel = json.loads((pkg / "package.json").read_text())["bin"]
        bin_rel = bin_rel["claude"] if isinstance(bin_rel, dict) else bin_rel
        exe = pkg / bin_rel
        head = [node, str(exe)] if exe.suffix in (".js", ".mjs", ".cjs") else [str(exe)]
        return [*head, "-p", prompt, "--output-format", "stream-json", "--verbose",
                "--allowedTools", allowed_tools, "--permission-mode", "acceptEdits"]


CLIENTS: tuple[Client, ...] = (
    Client("cc-1.0.128", "claude-code-1.0.128", "1.0.128"),
    Client("cc-2.0.77", "claude-code-2.0.77", "2.0.77"),
    Client("cc-2.1.197", "claude-code-2.1.197", "2.1.197"),
    Client("cc-2.1.332", "@anthropic-ai/claude-code", "2.1.332"),
    Client("agent-sdk", "@anthropic-ai/claude-agent-sdk", "0.3.333", kind="sdk", bundles="2.1.333"),
)
CLIENTS_BY_KEY = {c.key: c for c in CLIENTS}


async def run_client(client: Client, prompt: str, base_url: str, workdir: Path | str,
                     home: Path | str | None = None, allowed_tools: str = DEFAULT_TOOLS,
                     timeout: float = 300.0) -> ClaudeRun:
    """Run `prompt` through `client` in `workdir` against `base_url`; a hermetic HOME, no non-essential traffic."""
    args = client.argv(prompt, allowed_tools)
    home_dir = Path(home) if home else Path(tempfile.mkdtemp(prefix="client-home-"))
    home_dir.mkdir(parents=True, exist_ok=True)
    return await run_stream_json(args, workdir, claude_env(base_url, home_dir), timeout)
