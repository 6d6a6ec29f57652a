// The AWS JSON protocol as both facades serve it: POST / with `X-Amz-Target: <Prefix>.<Op>`,
// errors as `{"__type", "message"}` (which the AWS SDKs map to typed exceptions, e.g.
// "ExecutionAlreadyExists" -> ExecutionAlreadyExistsException), plus a plain-JSON admin API
// under /_admin/.
import { randomUUID } from 'node:crypto';
import { HOST } from './serve.mjs';

export class ApiError extends Error {
  constructor(type, message, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/**
 * Returns `{ handle, sendError }` for one service.
 *  - operations: `{ Op: (body) => result }` (may return a promise)
 *  - admin: `{ 'GET /_admin/x': (body, searchParams) => result }`
 *  - mapError: optional `(err) => ApiError | undefined` for a service's own error classes
 *  - internalErrorType: the `__type` of unexpected failures
 */
export function awsJsonService({ name, targetPrefix, contentType, operations, admin, mapError, internalErrorType }) {
  function send(res, status, body, type = contentType, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  function sendError(res, err, type = contentType) {
    const api = err instanceof ApiError ? err : mapError?.(err);
    if (api) {
      return send(res, api.status, { __type: api.type, message: api.message, ...(api.extra ?? {}) }, type, {
        'x-amzn-errortype': api.type,
      });
    }
    process.stderr.write(`${name}: internal error: ${err?.stack ?? err}\n`);
    return send(res, 500, { __type: internalErrorType, message: String(err?.message ?? err) }, type);
  }

  async function readBody(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    try {
      const body = JSON.parse(text);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('body must be a JSON object');
      return body;
    } catch (err) {
      throw new ApiError('SerializationException', `request body is not a JSON object: ${err.message}`);
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, `http://${HOST}`);
    if (url.pathname.startsWith('/_admin/')) {
      try {
        const route = admin[`${req.method} ${url.pathname}`];
        if (!route) throw new ApiError('NotFound', `no admin route ${req.method} ${url.pathname}`, 404);
        const body = req.method === 'POST' ? await readBody(req) : {};
        send(res, 200, await route(body, url.searchParams), 'application/json');
      } catch (err) {
        sendError(res, err, 'application/json');
      }
      return;
    }
    try {
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(targetPrefix)) {
        throw new ApiError('UnknownOperationException', `expected POST / with X-Amz-Target: ${targetPrefix}<Operation>`);
      }
      const opName = target.slice(targetPrefix.length);
      const op = Object.hasOwn(operations, opName) ? operations[opName] : undefined;
      if (!op) throw new ApiError('UnknownOperationException', `operation ${target} is not supported by the local facade`);
      send(res, 200, await op(await readBody(req)));
    } catch (err) {
      sendError(res, err);
    }
  }

  return { handle, sendError };
}
