/**
 * A fake model server on 127.0.0.1 for the real agent clients: the Anthropic Messages API
 * (Claude Code), the OpenAI Responses API (Codex) and the Gemini API (Gemini CLI), each streamed
 * as its SDK expects. It answers every turn from the conversation alone: the prompt carries
 * `GUARD-SCRIPT:<base64 command>`; a turn with no tool result yet gets one shell tool call running
 * that command; a turn that has a tool result gets a final text (which quotes that result, so a
 * test can see what the client told its model). Requests are kept for the tests to inspect.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelRequest {
  api: 'anthropic' | 'openai' | 'gemini';
  url: string;
  body: Record<string, unknown>;
}

export interface FakeModel {
  url: string;
  requests: ModelRequest[];
  close(): Promise<void>;
}

const SCRIPT = /GUARD-SCRIPT:([A-Za-z0-9+/=]+)/;

/** The prompt a test gives the client: the command the model will ask to run. */
export function scriptPrompt(command: string): string {
  return `Run the scripted command. GUARD-SCRIPT:${Buffer.from(command).toString('base64')}`;
}

function scriptOf(text: string): string | undefined {
  const m = SCRIPT.exec(text);
  return m === null ? undefined : Buffer.from(m[1]!, 'base64').toString();
}

const sse = (res: ServerResponse): ((event: string | undefined, data: unknown) => void) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  return (event, data) =>
    res.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
};

/** Claude Code: POST /v1/messages, stream: true. */
function anthropic(body: Record<string, unknown>, res: ServerResponse): void {
  const messages = (body['messages'] as { role: string; content: unknown }[]) ?? [];
  const text = JSON.stringify(messages);
  const tools = ((body['tools'] as { name?: string }[]) ?? []).map((t) => t.name);
  const results = messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as { type: string; content?: unknown }[]).filter((c) => c.type === 'tool_result')
      : [],
  );
  const command = scriptOf(text);
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const id = `msg_${Math.random().toString(16).slice(2)}`;
  const send = sse(res);
  send('message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: body['model'],
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  });
  if (command !== undefined && results.length === 0 && tools.includes('Bash')) {
    const input = JSON.stringify({ command, description: 'scripted command' });
    send('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: `toolu_${id.slice(4)}`, name: 'Bash', input: {} },
    });
    send('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: input },
    });
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
  } else {
    const answer = results.length > 0 ? `DONE ${JSON.stringify(results[results.length - 1]!.content)}` : 'ok';
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: answer } });
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
  }
  send('message_stop', { type: 'message_stop' });
  res.end();
}

/** Codex: POST /v1/responses, stream: true; the shell tool is `exec_command` with {cmd}. */
function openai(body: Record<string, unknown>, res: ServerResponse): void {
  const input = (body['input'] as { type?: string; output?: unknown }[]) ?? [];
  const results = input.filter((i) => i.type === 'function_call_output');
  const command = scriptOf(JSON.stringify(input));
  const id = `resp_${Math.random().toString(16).slice(2)}`;
  const send = sse(res);
  const base = { id, object: 'response', created_at: 0, model: body['model'], status: 'in_progress', output: [] };
  send('response.created', { type: 'response.created', response: base });
  let item: Record<string, unknown>;
  // a command still running after exec_command's yield (waiting for approval): keep polling it, as
  // a model does, with write_stdin on its session
  const lastOutput = JSON.stringify(results[results.length - 1]?.output ?? '');
  const running = /Process running with session ID (\d+)/.exec(lastOutput);
  if (running !== null) {
    item = {
      type: 'function_call',
      id: `fc_${id.slice(5)}`,
      call_id: `call_${id.slice(5)}`,
      name: 'write_stdin',
      arguments: JSON.stringify({ session_id: Number(running[1]), chars: '', yield_time_ms: 30_000 }),
      status: 'completed',
    };
  } else if (command !== undefined && results.length === 0) {
    item = {
      type: 'function_call',
      id: `fc_${id.slice(5)}`,
      call_id: `call_${id.slice(5)}`,
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: command }),
      status: 'completed',
    };
  } else {
    const answer = results.length > 0 ? `DONE ${JSON.stringify(results[results.length - 1]!.output)}` : 'ok';
    item = {
      type: 'message',
      id: `msg_${id.slice(5)}`,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: answer, annotations: [] }],
    };
  }
  send('response.output_item.added', { type: 'response.output_item.added', output_index: 0, item });
  send('response.output_item.done', { type: 'response.output_item.done', output_index: 0, item });
  send('response.completed', {
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output: [item],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    },
  });
  res.end();
}

/** A value of a JSON schema (the first enum value, 10 for numbers, "x" for strings). */
function sample(schema: Record<string, unknown> | undefined): unknown {
  if (schema === undefined) return 'x';
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  const type = typeof schema['type'] === 'string' ? schema['type'].toLowerCase() : 'string';
  if (type === 'object') {
    const props = (schema['properties'] as Record<string, Record<string, unknown>>) ?? {};
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample(v)]));
  }
  if (type === 'array') return [];
  if (type === 'number' || type === 'integer') return 10;
  if (type === 'boolean') return false;
  return 'x';
}

/** Gemini CLI: POST /v1beta/models/M:streamGenerateContent?alt=sse (and :generateContent). */
function gemini(url: string, body: Record<string, unknown>, res: ServerResponse): void {
  const contents = (body['contents'] as { parts?: { functionResponse?: unknown }[] }[]) ?? [];
  const results = contents.flatMap((c) => (c.parts ?? []).filter((p) => p.functionResponse !== undefined));
  const tools = ((body['tools'] as { functionDeclarations?: { name: string }[] }[]) ?? []).flatMap((t) =>
    (t.functionDeclarations ?? []).map((f) => f.name),
  );
  const command = scriptOf(JSON.stringify(contents));
  const config = (body['generationConfig'] as Record<string, unknown>) ?? {};
  const schema = (config['responseJsonSchema'] ?? config['responseSchema']) as Record<string, unknown> | undefined;
  // the CLI's own JSON side requests (model routing, next speaker): an answer of the asked shape
  const part =
    schema !== undefined
      ? { text: JSON.stringify(sample(schema)) }
      : command !== undefined && results.length === 0 && tools.includes('run_shell_command')
        ? { functionCall: { name: 'run_shell_command', args: { command, description: 'scripted command' } } }
        : { text: results.length > 0 ? `DONE ${JSON.stringify(results[results.length - 1]!.functionResponse)}` : 'ok' };
  const chunk = {
    candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: 'gemini-test',
  };
  if (url.includes(':streamGenerateContent')) {
    sse(res)(undefined, chunk);
    res.end();
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(chunk));
  }
}

function handle(requests: ModelRequest[], req: IncomingMessage, res: ServerResponse, raw: string): void {
  const url = req.url ?? '';
  let body: Record<string, unknown> = {};
  try {
    body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
  } catch {
    // not JSON: answered below by the URL alone
  }
  if (req.method === 'POST' && url.startsWith('/v1/messages') && !url.includes('count_tokens')) {
    requests.push({ api: 'anthropic', url, body });
    return anthropic(body, res);
  }
  if (req.method === 'POST' && url.startsWith('/v1/responses')) {
    requests.push({ api: 'openai', url, body });
    return openai(body, res);
  }
  if (req.method === 'POST' && url.includes('/models/') && /:(stream)?[gG]enerateContent/.test(url)) {
    requests.push({ api: 'gemini', url, body });
    return gemini(url, body, res);
  }
  if (url.includes('countTokens') || url.includes('count_tokens')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ totalTokens: 10, input_tokens: 10 }));
    return;
  }
  // everything else a client may probe (telemetry, model lists): an empty success
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(url.includes('/models') ? JSON.stringify({ data: [], models: [] }) : '{}');
}

export async function startFakeModel(): Promise<FakeModel> {
  const requests: ModelRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(requests, req, res, Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
