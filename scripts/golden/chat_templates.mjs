// Extracts chat-template test vectors that other projects wrote into one small JSON fixture,
// test/golden/fixtures/chat-templates.json (see test/golden/fixtures/README.md for provenance and licences).
//
// Sources (both MIT-licensed; only their data — templates, inputs, expected strings — is copied):
//  1. llama.cpp `tests/test-chat-template.cpp`: real models' chat templates, one six-message conversation,
//     and the text llama.cpp's Jinja path (minja) must produce (`expected_output_jinja`, or `expected_output`
//     when that is empty). The C++ aggregate initialisers are parsed here, not compiled.
//  2. huggingface.js `packages/jinja/test/e2e.test.js`: templates with the variables passed to
//     `Template.render` and the expected text. The data block (everything before `function render(`)
//     is plain object literals; it is evaluated in an empty `vm` context with no module access.
//
// Usage (file paths, plus the commits they were read at, for the provenance record):
//   git -C <llama.cpp> show <commit>:tests/test-chat-template.cpp > /tmp/test-chat-template.cpp
//   git -C <huggingface.js> show <commit>:packages/jinja/test/e2e.test.js > /tmp/e2e.test.js
//   node scripts/golden/chat_templates.mjs --llamacpp /tmp/test-chat-template.cpp --llamacpp-commit <sha> \
//     --hfjs /tmp/e2e.test.js --hfjs-commit <sha> [--out test/golden/fixtures/chat-templates.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import vm from 'node:vm';

const { values: args } = parseArgs({
  options: {
    llamacpp: { type: 'string' },
    'llamacpp-commit': { type: 'string' },
    hfjs: { type: 'string' },
    'hfjs-commit': { type: 'string' },
    out: { type: 'string', default: 'test/golden/fixtures/chat-templates.json' },
  },
});
if (!args.llamacpp || !args.hfjs || !args['llamacpp-commit'] || !args['hfjs-commit']) {
  console.error('usage: --llamacpp FILE --llamacpp-commit SHA --hfjs FILE --hfjs-commit SHA [--out FILE]');
  process.exit(2);
}

// ---- 1. llama.cpp: a tiny lexer for the subset of C++ the test table uses ----------------------------

/** Decodes one C++ string literal body (after the opening quote) starting at `i`; returns [value, next]. */
function cppString(src, i) {
  let out = '';
  for (;;) {
    const c = src[i];
    if (c === undefined) throw new Error('unterminated string literal');
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      i += 1;
      continue;
    }
    const e = src[i + 1];
    const simple = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", 0: '\0' };
    if (!(e in simple)) throw new Error(`unsupported escape \\${e} at ${i}`);
    out += simple[e];
    i += 2;
  }
}

/** Tokens of the `test_cases { … }` initialiser: '{', '}', ',', strings, identifiers; comments kept apart. */
function cppTokens(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      tokens.push({ kind: 'comment', value: src.slice(i + 2, end).trim() });
      i = end;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i);
      tokens.push({ kind: 'field', value: src.slice(i + 2, end).trim() });
      i = end + 2;
    } else if (c === '"' || src.startsWith('u8"', i)) {
      const [value, next] = cppString(src, src.indexOf('"', i) + 1);
      // Adjacent literals concatenate (C++ phase 6).
      const prev = tokens[tokens.length - 1];
      if (prev && prev.kind === 'string' && prev.open) prev.value += value;
      else tokens.push({ kind: 'string', value, open: true });
      i = next;
    } else if ('{},'.includes(c)) {
      for (const t of tokens) t.open = false;
      tokens.push({ kind: c });
      i += 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (!m) throw new Error(`unexpected ${JSON.stringify(src.slice(i, i + 20))}`);
      for (const t of tokens) t.open = false;
      tokens.push({ kind: 'ident', value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

function llamacppCases(src) {
  const convo = /std::vector<llama_chat_message> conversation \{([\s\S]*?)\n {4}\};/.exec(src);
  if (!convo) throw new Error('conversation not found');
  const messages = [...convo[1].matchAll(/\{"(\w+)", "((?:[^"\\]|\\.)*)"\}/g)].map((m) => ({
    role: m[1],
    content: cppString(`${m[2]}"`, 0)[0],
  }));
  const fields = /struct TestCase \{([\s\S]*?)\};/.exec(src)[1];
  const order = [...fields.matchAll(/(?:std::string|bool) (\w+)/g)].map((m) => m[1]);
  const start = src.indexOf('std::vector<TestCase> test_cases {');
  const end = src.indexOf('\n    };', start);
  const tokens = cppTokens(src.slice(src.indexOf('{', start) + 1, end));
  const cases = [];
  let depth = 0;
  let current = null;
  let field = null;
  for (const t of tokens) {
    if (t.kind === '{') {
      depth += 1;
      current = { values: {}, comments: [], position: 0 };
    } else if (t.kind === '}') {
      depth -= 1;
      cases.push(current);
    } else if (t.kind === 'field') {
      field = /^\.(\w+)=$/.exec(t.value)?.[1] ?? null;
    } else if (t.kind === 'comment') {
      current?.comments.push(t.value);
    } else if (t.kind === 'string' || t.kind === 'ident') {
      const name = field ?? order[current.position];
      current.values[name] = t.kind === 'string' ? t.value : t.value === 'true';
      current.position = order.indexOf(name) + 1;
      field = null;
    }
  }
  if (depth !== 0) throw new Error('unbalanced braces in test_cases');
  return cases.map(({ values, comments }, index) => {
    const supported = values.supported_with_jinja ?? true;
    return {
      id: `llama.cpp/${index}`,
      source: 'llama.cpp',
      name: values.name,
      template: values.template_str,
      messages,
      bosToken: values.bos_token ?? '',
      eosToken: values.eos_token ?? '',
      addGenerationPrompt: true,
      variables: {},
      expected: values.expected_output_jinja || values.expected_output,
      // What llama.cpp's built-in (non-Jinja) formatter must produce; kept for cases whose Jinja
      // expectation upstream later corrected to this text.
      expectedBuiltin: values.expected_output,
      // llama.cpp itself skips these on its Jinja path; the reason is the comment in its table.
      upstreamSkip: supported ? null : comments.join(' ') || 'supported_with_jinja = false',
    };
  });
}

// ---- 2. huggingface.js: evaluate the data block ------------------------------------------------------

function hfjsCases(src) {
  const body = src
    .slice(0, src.indexOf('function render('))
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n');
  const context = vm.createContext({});
  const tables = vm.runInContext(`${body}\n;({ TEST_DEFAULT_TEMPLATES, TEST_CUSTOM_TEMPLATES })`, context);
  // The suite fixes the clock (vi.setSystemTime) before every render; strftime_now reads it.
  const now = /new Date\("([^"]+)"\)/.exec(src)?.[1] ?? null;
  const cases = [];
  for (const [table, entries] of Object.entries(tables)) {
    for (const [name, test] of Object.entries(entries)) {
      const { messages, add_generation_prompt, bos_token, eos_token, ...variables } = test.data;
      cases.push({
        id: `huggingface.js/${table}/${name}`,
        source: 'huggingface.js',
        name,
        template: test.chat_template,
        messages: JSON.parse(JSON.stringify(messages ?? null)),
        bosToken: bos_token === undefined ? null : bos_token,
        eosToken: eos_token === undefined ? null : eos_token,
        addGenerationPrompt: add_generation_prompt ?? null,
        variables: JSON.parse(JSON.stringify(variables)),
        expected: test.target,
        now,
        upstreamSkip: null,
      });
    }
  }
  return cases;
}

const llama = llamacppCases(readFileSync(args.llamacpp, 'utf8'));
const hfjs = hfjsCases(readFileSync(args.hfjs, 'utf8'));
const fixture = {
  description:
    'Chat-template vectors extracted by scripts/golden/chat_templates.mjs; provenance and licences in README.md',
  sources: {
    'llama.cpp': {
      repository: 'https://github.com/ggml-org/llama.cpp',
      path: 'tests/test-chat-template.cpp',
      commit: args['llamacpp-commit'],
      license: 'MIT',
    },
    'huggingface.js': {
      repository: 'https://github.com/huggingface/huggingface.js',
      path: 'packages/jinja/test/e2e.test.js',
      commit: args['hfjs-commit'],
      license: 'MIT',
    },
  },
  cases: [...llama, ...hfjs],
};
writeFileSync(args.out, `${JSON.stringify(fixture, null, 1)}\n`);
console.log(`wrote ${args.out}: ${llama.length} llama.cpp cases, ${hfjs.length} huggingface.js cases`);
