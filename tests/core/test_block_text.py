"""The block-text helpers give the same strings as before they became one walker (expected values frozen from the
four old helpers at 9503f4e: core/blocks.result_text and block_text, core/turndiff._block_text (now
core/model/blocks.display_text), sim/view.block_text)."""
from __future__ import annotations

import pytest

from pichay_tui.core.model.blocks import block_text, display_text, result_text
from pichay_tui.sim.view import block_text as plain_text

SHAPES = {
    "none": None,
    "string": "plain text",
    "empty_list": [],
    "text_block": {"type": "text", "text": "hello"},
    "text_cached": {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
    "text_missing": {"type": "text"},
    "thinking": {"type": "thinking", "thinking": "hmm", "signature": "s"},
    "redacted_thinking": {"type": "redacted_thinking", "data": "opaque"},
    "tool_use": {"type": "tool_use", "id": "tu1", "name": "Read", "input": {"file_path": "/a.py", "limit": 3}},
    "tool_use_no_input": {"type": "tool_use", "id": "tu2", "name": "Ls"},
    "result_str": {"type": "tool_result", "tool_use_id": "tu1", "content": "line1\nline2"},
    "result_none": {"type": "tool_result", "tool_use_id": "tu1"},
    "result_list": {"type": "tool_result", "tool_use_id": "tu1", "is_error": True,
                    "content": [{"type": "text", "text": "a"}, {"type": "image", "source": {"type": "base64", "data": "xx"}},
                                {"type": "document", "title": "d", "cache_control": {"type": "ephemeral"}}, "bare", 7]},
    "image": {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
    "other_cached": {"type": "document", "source": {"type": "text", "data": "x"}, "cache_control": {"type": "ephemeral"},
                     "nested": [{"cache_control": {"type": "ephemeral"}, "k": 1}]},
    "str_type": {"type": "str", "text": "s"},
    "content_list": [{"type": "text", "text": "t1"}, {"type": "tool_result", "tool_use_id": "x",
                     "content": [{"type": "text", "text": "inner"}, {"type": "image", "source": {}}]},
                     {"type": "tool_use", "id": "u", "name": "Bash", "input": {"command": "ls"}}, "s", None,
                     {"type": "thinking", "thinking": "th"}, {"type": "text", "text": ""}],
    "unicode": {"type": "text", "text": "naïve — 日本"},
    "unicode_other": {"type": "custom", "v": "naïve — 日本"},
}

# (helper, shape, expected): `result_text` gets a block's content (or the shape itself if it is not a block),
# `plain` gets a block wrapped in a list (sim reads message content).
CASES = [('result_text', 'none', ''),
 ('display', 'none', ''),
 ('plain', 'none', ''),
 ('result_text', 'string', 'plain text'),
 ('display', 'string', 'plain text'),
 ('plain', 'string', 'plain text'),
 ('result_text', 'empty_list', ''),
 ('display', 'empty_list', '[]'),
 ('plain', 'empty_list', ''),
 ('result_text', 'text_block', ''),
 ('block_text', 'text_block', 'hello'),
 ('display', 'text_block', 'hello'),
 ('plain', 'text_block', 'hello'),
 ('result_text', 'text_cached', ''),
 ('block_text', 'text_cached', 'hi'),
 ('display', 'text_cached', 'hi'),
 ('plain', 'text_cached', 'hi'),
 ('result_text', 'text_missing', ''),
 ('block_text', 'text_missing', ''),
 ('display', 'text_missing', ''),
 ('plain', 'text_missing', ''),
 ('result_text', 'thinking', ''),
 ('block_text', 'thinking', 'hmm'),
 ('display', 'thinking', 'hmm'),
 ('plain', 'thinking', ''),
 ('result_text', 'redacted_thinking', ''),
 ('block_text', 'redacted_thinking', 'opaque'),
 ('display', 'redacted_thinking', '{\n "type": "redacted_thinking",\n "data": "opaque"\n}'),
 ('plain', 'redacted_thinking', ''),
 ('result_text', 'tool_use', ''),
 ('block_text', 'tool_use', 'Read{"file_path":"/a.py","limit":3}'),
 ('display', 'tool_use', '{\n "file_path": "/a.py",\n "limit": 3\n}'),
 ('plain', 'tool_use', ''),
 ('result_text', 'tool_use_no_input', ''),
 ('block_text', 'tool_use_no_input', 'Ls{}'),
 ('display', 'tool_use_no_input', 'null'),
 ('plain', 'tool_use_no_input', ''),
 ('result_text', 'result_str', 'line1\nline2'),
 ('block_text', 'result_str', 'line1\nline2'),
 ('display', 'result_str', 'line1\nline2'),
 ('plain', 'result_str', 'line1\nline2'),
 ('result_text', 'result_none', ''),
 ('block_text', 'result_none', ''),
 ('display', 'result_none', ''),
 ('plain', 'result_none', ''),
 ('result_text',
  'result_list',
  'a\n[image]\n{"type":"document","title":"d","cache_control":{"type":"ephemeral"}}\nbare\n7'),
 ('block_text',
  'result_list',
  'a\n[image]\n{"type":"document","title":"d","cache_control":{"type":"ephemeral"}}\nbare\n7'),
 ('display',
  'result_list',
  'a\n'
  '{\n'
  ' "type": "image",\n'
  ' "source": {\n'
  '  "type": "base64",\n'
  '  "data": "xx"\n'
  ' }\n'
  '}\n'
  '{\n'
  ' "type": "document",\n'
  ' "title": "d"\n'
  '}\n'
  'bare\n'
  '7'),
 ('plain', 'result_list', 'a\nbare'),
 ('result_text', 'image', ''),
 ('block_text', 'image', '{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}'),
 ('display',
  'image',
  '{\n "type": "image",\n "source": {\n  "type": "base64",\n  "media_type": "image/png",\n  "data": "AAAA"\n }\n}'),
 ('plain', 'image', ''),
 ('result_text', 'other_cached', ''),
 ('block_text',
  'other_cached',
  '{"type":"document","source":{"type":"text","data":"x"},"nested":[{"cache_control":{"type":"ephemeral"},"k":1}]}'),
 ('display',
  'other_cached',
  '{\n'
  ' "type": "document",\n'
  ' "source": {\n'
  '  "type": "text",\n'
  '  "data": "x"\n'
  ' },\n'
  ' "nested": [\n'
  '  {\n'
  '   "cache_control": {\n'
  '    "type": "ephemeral"\n'
  '   },\n'
  '   "k": 1\n'
  '  }\n'
  ' ]\n'
  '}'),
 ('plain', 'other_cached', ''),
 ('result_text', 'str_type', ''),
 ('block_text', 'str_type', 's'),
 ('display', 'str_type', '{\n "type": "str",\n "text": "s"\n}'),
 ('plain', 'str_type', ''),
 ('result_text',
  'content_list',
  't1\n'
  '{"type":"tool_result","tool_use_id":"x","content":[{"type":"text","text":"inner"},{"type":"image","source":{}}]}\n'
  '{"type":"tool_use","id":"u","name":"Bash","input":{"command":"ls"}}\n'
  's\n'
  'None\n'
  '{"type":"thinking","thinking":"th"}\n'),
 ('display',
  'content_list',
  '[\n'
  ' {\n'
  '  "type": "text",\n'
  '  "text": "t1"\n'
  ' },\n'
  ' {\n'
  '  "type": "tool_result",\n'
  '  "tool_use_id": "x",\n'
  '  "content": [\n'
  '   {\n'
  '    "type": "text",\n'
  '    "text": "inner"\n'
  '   },\n'
  '   {\n'
  '    "type": "image",\n'
  '    "source": {}\n'
  '   }\n'
  '  ]\n'
  ' },\n'
  ' {\n'
  '  "type": "tool_use",\n'
  '  "id": "u",\n'
  '  "name": "Bash",\n'
  '  "input": {\n'
  '   "command": "ls"\n'
  '  }\n'
  ' },\n'
  ' "s",\n'
  ' null,\n'
  ' {\n'
  '  "type": "thinking",\n'
  '  "thinking": "th"\n'
  ' },\n'
  ' {\n'
  '  "type": "text",\n'
  '  "text": ""\n'
  ' }\n'
  ']'),
 ('plain', 'content_list', 't1\ninner\ns\n'),
 ('result_text', 'unicode', ''),
 ('block_text', 'unicode', 'naïve — 日本'),
 ('display', 'unicode', 'naïve — 日本'),
 ('plain', 'unicode', 'naïve — 日本'),
 ('result_text', 'unicode_other', ''),
 ('block_text', 'unicode_other', '{"type":"custom","v":"naïve — 日本"}'),
 ('display', 'unicode_other', '{\n "type": "custom",\n "v": "na\\u00efve \\u2014 \\u65e5\\u672c"\n}'),
 ('plain', 'unicode_other', '')]


def _call(helper: str, shape: object) -> str:
    if helper == "result_text":
        return result_text(shape.get("content") if isinstance(shape, dict) else shape)
    if helper == "block_text":
        return block_text(shape)
    if helper == "display":
        return display_text(shape)
    return plain_text([shape] if isinstance(shape, dict) else shape)


@pytest.mark.parametrize("helper,name,expected", CASES, ids=[f"{h}-{n}" for h, n, _ in CASES])
def test_block_text_helpers_unchanged(helper: str, name: str, expected: str) -> None:
    assert _call(helper, SHAPES[name]) == expected
