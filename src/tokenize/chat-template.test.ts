import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { ChatTemplate, strftime } from './chat-template.js';
import { BUILTIN_CHAT_TEMPLATES, builtinChatTemplate } from './chat-template-builtin.js';
import { ChatTemplateSet } from './chat-template-load.js';

const chat = [
  { role: 'user', content: 'Hello' },
  { role: 'assistant', content: 'Hi there' },
];

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'llmk-chat-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

function throwsCode(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof LlmkError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

test('tokenizer_config.json: chat_template string, bos/eos as strings or AddedToken objects', () => {
  const d = dir({
    'tokenizer_config.json': JSON.stringify({
      chat_template: '{{ bos_token }}{% for m in messages %}{{ m.content + eos_token }}{% endfor %}',
      bos_token: { content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
      eos_token: '</s>',
      pad_token: null,
    }),
  });
  const set = ChatTemplateSet.fromDirectory(d);
  assert.deepEqual(set.names, ['default']);
  assert.deepEqual(set.specialTokens, { bos_token: '<s>', eos_token: '</s>', pad_token: null });
  assert.equal(set.applyChatTemplate(chat), '<s>Hello</s>Hi there</s>');
});

test('chat_template.jinja wins over the config; named templates; tool_use when tools are passed', () => {
  const d = dir({
    'tokenizer_config.json': JSON.stringify({
      chat_template: [
        { name: 'default', template: 'config-default' },
        { name: 'tool_use', template: 'tools:{{ tools | length }}' },
        { name: 'rag', template: 'docs:{{ documents[0].title }}' },
      ],
    }),
    'chat_template.jinja': 'jinja-file:{{ messages | length }}\n',
    'additional_chat_templates/summary.jinja': 'summary:{{ messages[0].content }}',
  });
  const set = ChatTemplateSet.fromDirectory(d);
  assert.deepEqual(set.names.sort(), ['default', 'rag', 'summary', 'tool_use']);
  // One trailing newline of a template file is dropped, as Jinja does (keep_trailing_newline=False).
  assert.equal(set.applyChatTemplate(chat), 'jinja-file:2');
  assert.equal(
    set.applyChatTemplate(chat, { tools: [{ type: 'function' }, { type: 'function' }] }),
    'tools:2',
  );
  assert.equal(
    set.applyChatTemplate(chat, { template: 'rag', documents: [{ title: 'T', text: 'x' }] }),
    'docs:T',
  );
  assert.equal(set.applyChatTemplate(chat, { template: 'summary' }), 'summary:Hello');
  // A built-in by name, or Jinja source, also work with the directory's tokens.
  assert.equal(set.applyChatTemplate(chat, { template: '{{ messages[1].content }}' }), 'Hi there');
  assert.ok(set.applyChatTemplate(chat, { template: 'chatml' }).startsWith('<|im_start|>user\nHello'));
  throwsCode(
    () => set.applyChatTemplate(chat, { template: 'nope' }),
    'LLMK_E_NOT_FOUND',
    /no chat template named "nope"/,
  );
});

test('a tokenizer directory without a template and no explicit template is LLMK_E_NOT_FOUND', () => {
  const set = ChatTemplateSet.fromDirectory(dir({ 'tokenizer_config.json': '{"eos_token": "</s>"}' }));
  throwsCode(
    () => set.applyChatTemplate(chat),
    'LLMK_E_NOT_FOUND',
    /has no chat template.*pass one explicitly/,
  );
  // The fix the hint names works.
  assert.equal(set.applyChatTemplate(chat, { template: 'mistral' }), '<s>[INST] Hello [/INST]Hi there</s>');
});

test('variables HF passes: tools, documents, add_generation_prompt, extra kwargs, strftime_now, raise_exception', () => {
  const t = new ChatTemplate(
    "{{ strftime_now('%d %b %Y') }}|{{ tools[0].function.name }}|{{ documents | length }}|{{ enable_thinking }}|" +
      '{{ add_generation_prompt }}|{{ range(3) | join(",") }}',
  );
  const out = t.applyChatTemplate(chat, {
    tools: [{ type: 'function', function: { name: 'get_weather' } }],
    documents: [{ title: 'a' }, { title: 'b' }],
    variables: { enable_thinking: false },
    addGenerationPrompt: true,
    now: new Date(2024, 6, 26, 9, 5, 3),
  });
  assert.equal(out, '26 Jul 2024|get_weather|2|false|true|0,1,2');
  // Unset tools/documents are None (defined, falsy), as in transformers.
  assert.equal(
    new ChatTemplate('{{ tools is none }}{{ documents is defined }}').applyChatTemplate(chat),
    'truetrue',
  );
});

test('strftime: Python directives (C locale, local time)', () => {
  const d = new Date(2024, 6, 26, 21, 5, 3); // a Friday, day 208 of a leap year
  assert.equal(strftime(d, '%Y-%m-%d %H:%M:%S'), '2024-07-26 21:05:03');
  assert.equal(strftime(d, '%-d %B %y, %A %a %j %I%p %e %%'), '26 July 24, Friday Fri 208 09PM 26 %');
  assert.equal(strftime(new Date(2025, 0, 5), '%d %-m %b'), '05 1 Jan');
  throwsCode(() => strftime(d, '%Q'), 'LLMK_E_UNSUPPORTED', /%Q/);
});

test('continueFinalMessage cuts right after the final message, as transformers does', () => {
  const t = builtinChatTemplate('chatml');
  const partial = [
    { role: 'user', content: 'Tell a story' },
    { role: 'assistant', content: 'Once upon a ' },
  ];
  // ChatML keeps spacing, so the trailing space survives.
  assert.equal(
    t.applyChatTemplate(partial, { continueFinalMessage: true }),
    '<|im_start|>user\nTell a story<|im_end|>\n<|im_start|>assistant\nOnce upon a ',
  );
  // Llama 3 trims content, so the output ends at the trimmed text.
  const llama = builtinChatTemplate('llama3').applyChatTemplate(partial, { continueFinalMessage: true });
  assert.ok(llama.endsWith('<|start_header_id|>assistant<|end_header_id|>\n\nOnce upon a'), llama);
  // Typed content: the last text part is continued.
  const typed = new ChatTemplate(
    "{% for m in messages %}{% for p in m.content %}{{ p.text }}{% endfor %}{{ '<end>' }}{% endfor %}",
  ).applyChatTemplate(
    [
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
    ],
    { continueFinalMessage: true },
  );
  assert.equal(typed, 'ab');
  throwsCode(
    () => t.applyChatTemplate(partial, { continueFinalMessage: true, addGenerationPrompt: true }),
    'LLMK_E_ARG',
    /cannot both be set/,
  );
  // A template that drops the final message cannot be continued.
  throwsCode(
    () =>
      new ChatTemplate('{{ messages[0].content }}').applyChatTemplate(partial, {
        continueFinalMessage: true,
      }),
    'LLMK_E_TEMPLATE',
    /final message does not appear/,
  );
});

test('bad input: empty conversation, missing role, unknown role, template refusal with its line', () => {
  const t = builtinChatTemplate('chatml');
  throwsCode(() => t.applyChatTemplate([]), 'LLMK_E_ARG', /conversation is empty/);
  throwsCode(() => t.applyChatTemplate([{ content: 'x' } as never]), 'LLMK_E_ARG', /message 0 has no role/);
  // ChatML renders any role verbatim: an unusual role is fine there.
  assert.match(t.applyChatTemplate([{ role: 'narrator', content: 'Once' }]), /<\|im_start\|>narrator\nOnce/);
  // A template that skips roles it does not know: the message would vanish silently.
  const picky = new ChatTemplate(
    "{% for m in messages %}{% if m.role == 'user' %}U:{{ m.content }}{% elif m.role == 'assistant' %}A:{{ m.content }}{% endif %}{% endfor %}",
  );
  throwsCode(
    () => picky.applyChatTemplate([{ role: 'narrator', content: 'Once' }, ...chat]),
    'LLMK_E_ARG',
    /message 0 has role "narrator".*missing from the rendered prompt/,
  );
  // A template that raises on it: reported as the unknown role, with the template's own message.
  throwsCode(
    () =>
      builtinChatTemplate('mistral').applyChatTemplate([
        { role: 'user', content: 'x' },
        { role: 'critic', content: 'y' },
      ]),
    'LLMK_E_ARG',
    /message 1 has role "critic".*the template raised "Only user and assistant roles are supported!"/,
  );
  // The template's raise_exception on a known role: its message and the line it is on.
  const multiline = new ChatTemplate(
    "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}\n{{ m.content }}{% endfor %}",
  );
  throwsCode(
    () => multiline.applyChatTemplate([{ role: 'system', content: 's' }]),
    'LLMK_E_TEMPLATE',
    /raised: System role not supported \(template line 3\)/,
  );
  throwsCode(
    () => builtinChatTemplate('mistral').applyChatTemplate([{ role: 'assistant', content: 'x' }]),
    'LLMK_E_TEMPLATE',
    /raised: Conversation roles must alternate/,
  );
});

test('unsupported Jinja features are named (LLMK_E_UNSUPPORTED); invalid Jinja is LLMK_E_TEMPLATE', () => {
  throwsCode(
    () => new ChatTemplate('{% include "x.jinja" %}'),
    'LLMK_E_UNSUPPORTED',
    /\{% include %\} statement/,
  );
  throwsCode(
    () => new ChatTemplate('{% with a = 1 %}{{ a }}{% endwith %}'),
    'LLMK_E_UNSUPPORTED',
    /\{% with %\}/,
  );
  throwsCode(
    () => new ChatTemplate('{{ messages[0].content | wordwrap(3) }}').applyChatTemplate(chat),
    'LLMK_E_UNSUPPORTED',
    /\|wordwrap filter/,
  );
  throwsCode(() => new ChatTemplate('{% for %}'), 'LLMK_E_TEMPLATE', /failed while parsing/);
});

test('built-ins: every name renders a conversation; unknown names are refused', () => {
  for (const name of BUILTIN_CHAT_TEMPLATES) {
    const out = builtinChatTemplate(name).applyChatTemplate(chat, { addGenerationPrompt: true });
    assert.ok(out.includes('Hello') && out.includes('Hi there'), name);
  }
  assert.equal(
    builtinChatTemplate('llama3').applyChatTemplate(chat, { addGenerationPrompt: true }),
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  );
  assert.equal(
    builtinChatTemplate('qwen2').applyChatTemplate([{ role: 'user', content: 'Hi' }], {
      addGenerationPrompt: true,
    }),
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  );
  throwsCode(() => builtinChatTemplate('vicuna'), 'LLMK_E_ARG', /no built-in chat template "vicuna"/);
});
