/**
 * Real models' chat templates with the text other projects expect them to render, run through llmk's
 * `ChatTemplate` and compared for exact equality. Cases come from llama.cpp's tests/test-chat-template.cpp
 * and huggingface.js' packages/jinja/test/e2e.test.js (extracted by scripts/golden/chat_templates.mjs into
 * fixtures/chat-templates.json; provenance and MIT licences in fixtures/README.md).
 *
 * Each case is called the way its suite calls it:
 *  - llama.cpp (`common_chat_templates_apply`, Jinja path, common/chat.cpp + common/minja/chat-template.hpp
 *    at the same commit): bos/eos tokens, add_generation_prompt = true, `tools` left undefined; if the
 *    template drops a system message (minja renders a needle system message and looks for it), system
 *    messages are folded into the next user message joined by "\n" (minja's `polyfill_system_role`);
 *    then one leading BOS and one trailing EOS are cut from the output (common/chat.cpp `apply`).
 *  - huggingface.js (`new Template(chat_template).render(data)`): exactly the case's variables; a variable
 *    the case leaves out (e.g. add_generation_prompt) stays undefined; the clock is the suite's fixed date.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LlmkError } from '../../src/errors.js';
import {
  type ApplyChatTemplateOptions,
  assistantSpans,
  builtinChatTemplate,
  type ChatMessage,
  type ChatSpecialTokens,
  ChatTemplate,
} from '../../src/tokenize/index.js';

interface Case {
  id: string;
  source: 'llama.cpp' | 'huggingface.js';
  name: string;
  template: string;
  messages: ChatMessage[] | null;
  bosToken: string | null;
  eosToken: string | null;
  addGenerationPrompt: boolean | null;
  variables: Record<string, unknown>;
  expected: string;
  expectedBuiltin?: string;
  now?: string | null;
  upstreamSkip: string | null;
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/chat-templates.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

/**
 * Cases whose expected text at the extracted commit is wrong by upstream's own later judgement. Each names
 * the commit that corrected it; the test then asserts the corrected text (which the fixture also holds).
 */
const ERRATA: Record<string, { use: 'expectedBuiltin'; why: string }> = {
  'llama.cpp/17': {
    use: 'expectedBuiltin',
    why:
      'ChatGLM3: at c392e50 expected_output_jinja drops the space in "\\n {{ content }}" (a minja whitespace bug; ' +
      'Python Jinja keeps it: lstrip_blocks applies to {% %} only). ggml-org/llama.cpp@03f94f1 expects the ' +
      'space, i.e. the same text as expected_output, which is what we assert.',
  },
};

/** minja's `polyfill_system_role`: system contents join the next user message ("\n"), else become a user turn. */
function foldSystemMessages(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let pending = '';
  for (const m of messages) {
    const content = typeof m.content === 'string' ? m.content : '';
    if (m.role === 'system') {
      pending += (pending ? '\n' : '') + content;
      continue;
    }
    if (m.role === 'user' && pending) {
      out.push({ ...m, content: pending + (content ? `\n${content}` : '') });
      pending = '';
      continue;
    }
    if (pending) {
      out.push({ role: 'user', content: pending });
      pending = '';
    }
    out.push(m);
  }
  if (pending) out.push({ role: 'user', content: pending });
  return out;
}

function renderLlamaCpp(c: Case, source = c.template): string {
  const tokens: ChatSpecialTokens = { bos_token: c.bosToken ?? '', eos_token: c.eosToken ?? '' };
  const template = new ChatTemplate(source, { name: c.name, specialTokens: tokens });
  // minja's chat_template constructor: does a raw render keep a system message? (errors count as "no")
  const needle = '<System Needle>';
  let supportsSystem = false;
  try {
    supportsSystem = template
      .renderUnchecked(
        [
          { role: 'system', content: needle },
          { role: 'user', content: '<User Needle>' },
        ],
        { variables: { tools: undefined, documents: undefined } },
      )
      .includes(needle);
  } catch {
    supportsSystem = false;
  }
  const messages = supportsSystem ? (c.messages ?? []) : foldSystemMessages(c.messages ?? []);
  let out = template.applyChatTemplate(messages, {
    addGenerationPrompt: c.addGenerationPrompt ?? true,
    variables: { tools: undefined, documents: undefined },
  });
  if (c.bosToken && out.startsWith(c.bosToken)) out = out.slice(c.bosToken.length);
  if (c.eosToken && out.endsWith(c.eosToken)) out = out.slice(0, out.length - c.eosToken.length);
  return out;
}

function renderHfJs(c: Case): string {
  const tokens: ChatSpecialTokens = {};
  if (c.bosToken !== null) tokens.bos_token = c.bosToken;
  if (c.eosToken !== null) tokens.eos_token = c.eosToken;
  const template = new ChatTemplate(c.template, { name: c.name, specialTokens: tokens });
  const { tools, documents, ...rest } = c.variables;
  const options: ApplyChatTemplateOptions = {
    addGenerationPrompt: c.addGenerationPrompt ?? false,
    tools: (tools as Record<string, unknown>[] | undefined) ?? null,
    documents: (documents as Record<string, unknown>[] | undefined) ?? null,
    // Variables the case does not pass stay undefined, as in `Template.render(data)`.
    variables: {
      ...rest,
      ...(tools === undefined ? { tools: undefined } : {}),
      ...(documents === undefined ? { documents: undefined } : {}),
      ...(c.addGenerationPrompt === null ? { add_generation_prompt: undefined } : {}),
    },
    now: c.now ? new Date(c.now) : undefined,
  };
  return template.applyChatTemplate(c.messages ?? [], options);
}

const counts = { total: fixture.cases.length, ran: 0, passed: 0, skipped: [] as string[] };

for (const c of fixture.cases) {
  test(`${c.id}: ${c.name}`, (t) => {
    if (c.upstreamSkip) {
      counts.skipped.push(`${c.id}: upstream skips it (${c.upstreamSkip})`);
      t.skip(`upstream skips it: ${c.upstreamSkip}`);
      return;
    }
    let out: string;
    try {
      out = c.source === 'llama.cpp' ? renderLlamaCpp(c) : renderHfJs(c);
    } catch (err) {
      if (err instanceof LlmkError && err.code === 'LLMK_E_UNSUPPORTED') {
        counts.skipped.push(`${c.id}: ${err.message}`);
        t.skip(err.message);
        return;
      }
      throw err;
    }
    counts.ran += 1;
    const erratum = ERRATA[c.id];
    const expected = erratum ? c[erratum.use] : c.expected;
    if (erratum) t.diagnostic(erratum.why);
    assert.equal(out, expected);
    counts.passed += 1;
  });
}

test('chat-template golden summary: every case ran or was skipped with a reason', (t) => {
  t.diagnostic(
    `cases ${counts.total}: ran ${counts.ran}, passed ${counts.passed}, skipped ${counts.skipped.length}` +
      (counts.skipped.length ? `\n${counts.skipped.join('\n')}` : ''),
  );
  assert.equal(counts.ran + counts.skipped.length, counts.total);
  assert.equal(counts.passed, counts.ran);
  // The erratum must keep holding for the original expectation to stay wrong: the fixture's own
  // Jinja expectation for it differs from the corrected one.
  for (const id of Object.keys(ERRATA)) {
    const c = fixture.cases.find((x) => x.id === id);
    assert.ok(c && c.expected !== c.expectedBuiltin, `${id} no longer needs an erratum`);
  }
});

// The built-ins against upstream's copies: byte-identical where a suite holds the same template, and
// rendering the suite's case to its expected text (llama.cpp's "Llama-3" case is the shipped template
// minus the add_generation_prompt guard, which its call sets anyway).
test("built-in templates equal the suites' copies and render their cases", () => {
  const byId = (id: string): Case => {
    const c = fixture.cases.find((x) => x.id === id);
    assert.ok(c, id);
    return c;
  };
  assert.equal(
    builtinChatTemplate('chatml').source,
    byId('huggingface.js/TEST_DEFAULT_TEMPLATES/_base').template,
  );
  assert.equal(builtinChatTemplate('mistral').source, byId('llama.cpp/1').template);
  for (const [name, id] of [
    ['chatml', 'llama.cpp/0'],
    ['mistral', 'llama.cpp/1'],
    ['llama3', 'llama.cpp/12'],
  ] as const) {
    const c = byId(id);
    assert.equal(renderLlamaCpp(c, builtinChatTemplate(name).source), c.expected, `${name} vs ${c.name}`);
  }
});

// Templates in the suite that mark assistant output with {% generation %}: rendering them with our
// marker rewrite (for assistant masks) must give the same expected text, and every span must hold the
// content of the assistant message it belongs to.
for (const c of fixture.cases.filter((x) => hasGenerationTags(x.template) && x.source === 'huggingface.js')) {
  test(`${c.id}: {% generation %} spans over the expected text`, () => {
    const tokens: ChatSpecialTokens = {};
    if (c.bosToken !== null) tokens.bos_token = c.bosToken;
    if (c.eosToken !== null) tokens.eos_token = c.eosToken;
    const template = new ChatTemplate(c.template, { name: c.name, specialTokens: tokens });
    const { tools, documents, ...rest } = c.variables;
    const result = assistantSpans(template, c.messages ?? [], {
      addGenerationPrompt: c.addGenerationPrompt ?? false,
      tools: (tools as Record<string, unknown>[] | undefined) ?? null,
      documents: (documents as Record<string, unknown>[] | undefined) ?? null,
      variables: { ...rest, ...(c.addGenerationPrompt === null ? { add_generation_prompt: undefined } : {}) },
      now: c.now ? new Date(c.now) : undefined,
      method: 'generation',
    });
    assert.equal(result.text, c.expected);
    const assistants = (c.messages ?? []).filter((m) => m.role === 'assistant');
    assert.equal(result.spans.length, assistants.length);
    for (const span of result.spans) {
      assert.notEqual(span.messageIndex, null);
      const content = (c.messages ?? [])[span.messageIndex ?? -1].content;
      const inner = result.text.slice(span.start, span.end);
      // Templates may strip reasoning from past turns; the visible answer after </think> always remains.
      const answer = typeof content === 'string' ? (content.split('</think>').pop() ?? '') : '';
      assert.ok(inner.includes(answer.trim()), `${JSON.stringify(inner)} lacks ${JSON.stringify(answer)}`);
    }
  });
}

function hasGenerationTags(source: string): boolean {
  return /\{%-?\s*generation\s*-?%\}/.test(source);
}
