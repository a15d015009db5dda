import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { type ChatMessage, ChatTemplate } from './chat-template.js';
import {
  BUILTIN_CHAT_TEMPLATES,
  type BuiltinChatTemplateName,
  builtinChatTemplate,
} from './chat-template-builtin.js';
import { assistantSpans, assistantTokenMask } from './chat-template-mask.js';
import { tokenizerFromGpt2Files } from './load.js';

// What closes an assistant turn in each built-in (the token the model must learn to emit to stop).
const END_OF_TURN: Record<BuiltinChatTemplateName, string> = {
  chatml: '<|im_end|>',
  qwen2: '<|im_end|>',
  llama3: '<|eot_id|>',
  mistral: '</s>',
};

// Mistral's template takes no system message and needs strict user/assistant alternation.
const conversation: ChatMessage[] = [
  { role: 'user', content: 'Write a haiku about the sea.' },
  {
    role: 'assistant',
    content: 'Waves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time',
  },
  { role: 'user', content: '¿Y en español? 🌊' },
  { role: 'assistant', content: 'Olas en la arena — 海' },
];

test('prefix masks on every built-in: exactly each assistant content + the end-of-turn token', () => {
  for (const name of BUILTIN_CHAT_TEMPLATES) {
    const template = builtinChatTemplate(name);
    for (const addGenerationPrompt of [false, true]) {
      const r = assistantSpans(template, conversation, { addGenerationPrompt });
      assert.equal(r.method, 'prefix');
      assert.equal(r.text, template.applyChatTemplate(conversation, { addGenerationPrompt }), name);
      assert.deepEqual(
        r.spans.map((s) => s.messageIndex),
        [1, 3],
      );
      assert.deepEqual(
        r.spans.map((s) => r.text.slice(s.start, s.end)),
        [1, 3].map((i) => `${conversation[i].content}${END_OF_TURN[name]}`),
        name,
      );
      // Nothing else is masked: outside the spans no assistant text remains, and the user text is intact.
      let outside = '';
      let at = 0;
      for (const s of r.spans) {
        outside += r.text.slice(at, s.start);
        at = s.end;
      }
      outside += r.text.slice(at);
      assert.ok(!outside.includes('Waves') && !outside.includes('Olas'), name);
      assert.ok(outside.includes('Write a haiku') && outside.includes('¿Y en español? 🌊'), name);
    }
  }
});

test('Llama 3 trims content: the span is the content as rendered (trimmed) plus <|eot_id|>', () => {
  const r = assistantSpans(builtinChatTemplate('llama3'), [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: '  padded reply \n' },
  ]);
  assert.deepEqual(
    r.spans.map((s) => r.text.slice(s.start, s.end)),
    ['padded reply<|eot_id|>'],
  );
});

test('{% generation %} markers give the same spans as the prefix method on ChatML, whitespace control included', () => {
  const marked = [
    // Tags inline.
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    // Tags on their own lines: lstrip_blocks/trim_blocks and {%- -%} must leave no stray whitespace.
    "{%- for message in messages %}\n    {{- '<|im_start|>' + message['role'] + '\\n' }}\n    {%- if message['role'] == 'assistant' %}\n        {%- generation %}\n        {{- message['content'] + '<|im_end|>' }}\n        {%- endgeneration %}\n    {%- else %}\n        {{- message['content'] + '<|im_end|>' }}\n    {%- endif %}\n    {{- '\\n' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n",
    // Plain tags on their own lines (trim_blocks eats the newline after each).
    "{% for message in messages %}\n{{'<|im_start|>' + message['role'] + '\\n'}}{% if message['role'] == 'assistant' %}\n{% generation %}\n{{ message['content'] + '<|im_end|>' }}{% endgeneration %}\n{% else %}{{ message['content'] + '<|im_end|>' }}{% endif %}{{ '\\n' }}{% endfor %}",
  ];
  const prefix = assistantSpans(builtinChatTemplate('chatml'), conversation);
  for (const source of marked) {
    const template = new ChatTemplate(source);
    assert.ok(template.hasGenerationMarkers);
    const r = assistantSpans(template, conversation);
    assert.equal(r.method, 'generation');
    assert.equal(r.text, prefix.text);
    assert.deepEqual(r.spans, prefix.spans);
  }
});

test('prefix method refuses templates that render earlier turns differently later; generation needs tags', () => {
  // Like Qwen3 / DeepSeek-R1: reasoning is kept only in the last assistant turn.
  const dropsPastThinking = new ChatTemplate(
    "{% for m in messages %}{% set c = m.content %}{% if m.role == 'assistant' and not loop.last %}{% set c = c.split('</think>')[-1] %}{% endif %}<{{ m.role }}>{{ c }}</s>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
  );
  const thinking: ChatMessage[] = [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: '<think>hm</think>b' },
    { role: 'user', content: 'c' },
  ];
  assert.throws(
    () => assistantSpans(dropsPastThinking, thinking),
    (e: unknown) =>
      e instanceof LlmkError && e.code === 'LLMK_E_TEMPLATE' && /differently once later/.test(e.message),
  );
  assert.throws(
    () => assistantSpans(builtinChatTemplate('chatml'), conversation, { method: 'generation' }),
    (e: unknown) =>
      e instanceof LlmkError && e.code === 'LLMK_E_ARG' && /no \{% generation %\} markers/.test(e.message),
  );
  assert.throws(
    () => assistantSpans(builtinChatTemplate('chatml'), conversation, { continueFinalMessage: true }),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG',
  );
});

test('token masks: a GPT-2 tokenizer with the chat special tokens; masked tokens decode to the spans', async () => {
  const V = '../shared/data/tokenizer-vectors/gpt2-bpe';
  const tokenizer = tokenizerFromGpt2Files(`${V}/encoder.json`, `${V}/vocab.bpe`);
  tokenizer.inner.addSpecialTokens([
    '<|im_start|>',
    '<|im_end|>',
    '<|begin_of_text|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|eot_id|>',
  ]);
  for (const name of ['chatml', 'qwen2', 'llama3'] as const) {
    const r = assistantSpans(builtinChatTemplate(name), conversation, { addGenerationPrompt: true });
    const m = await assistantTokenMask(tokenizer, r);
    assert.equal(m.mask.length, m.ids.length);
    // The end-of-turn token itself is in the mask (the model must learn to stop).
    const eot = tokenizer.tokenToId(END_OF_TURN[name]);
    const eotMasked = m.ids.filter((id, i) => id === eot && m.mask[i] === 1).length;
    assert.equal(eotMasked, 2, name);
    // Token boundaries coincide with span boundaries here (the content follows "\n", a separate
    // pre-token), so the masked tokens are exactly the span characters.
    const masked = m.ids.filter((_, i) => m.mask[i] === 1);
    const expected = r.spans.map((s) => r.text.slice(s.start, s.end)).join('');
    assert.equal(await tokenizer.decode(masked, { skipSpecialTokens: false }), expected, name);
    // And the unmasked tokens are everything else, in order.
    assert.equal(await tokenizer.decode(m.ids, { skipSpecialTokens: false }), r.text, name);
  }
});

test('token masks: a token straddling a span boundary counts as assistant (transformers char_to_token range)', async () => {
  const V = '../shared/data/tokenizer-vectors/gpt2-bpe';
  const tokenizer = tokenizerFromGpt2Files(`${V}/encoder.json`, `${V}/vocab.bpe`);
  // No special tokens added: "Hi" merges with the preceding space into one token " Hi" that starts
  // one character before the span.
  const template = new ChatTemplate('{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}');
  const r = assistantSpans(template, [
    { role: 'user', content: 'Hello' },
    { role: 'assistant', content: 'Hi' },
  ]);
  assert.equal(r.text.slice(r.spans[0].start, r.spans[0].end), 'Hi');
  const m = await assistantTokenMask(tokenizer, r);
  const maskedText = m.offsets
    .filter((_, i) => m.mask[i] === 1)
    .map(([a, b]) => r.text.slice(a, b))
    .join('');
  assert.equal(maskedText, ' Hi');
});
