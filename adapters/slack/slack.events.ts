import type { IncomingMessage, ServerResponse } from 'node:http';
import { unescape as unescapeQuery } from 'node:querystring';
import { HTTPModuleFunctions as http, HTTPResponseAck, verifySlackRequest, type App as BoltApp, type Logger } from '@slack/bolt';

/**
 * `POST /slack/events`, read once: Bolt's HTTPReceiver does the same steps (body limit, Slack's
 * signature and its five minutes, `ssl_check`, `url_verification`, the ack), but reads a form body
 * as a query string twice, once looking for `ssl_check` and once for the payload, each with
 * Node's `querystring` decoding in JavaScript. A view submission's payload is the whole view (20
 * kilobytes and more with a report form's option lists): the two reads were about 8 % of the
 * bot's main thread under a burst of submissions (`npm run bench:slack` profile), 0.38 ms a
 * submission where one read with the engine's own `decodeURIComponent` takes 0.1 ms.
 * Everything else is Bolt's own: its verification, its ack, its responses.
 */
export function slackEventsListener(deps: { bolt: BoltApp; signingSecret: string; logger: Logger }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { bolt, signingSecret, logger } = deps;
  return async (req, res) => {
    let buffered: Awaited<ReturnType<typeof http.bufferIncomingMessage>>;
    try {
      buffered = await http.bufferIncomingMessage(req, http.defaultBodyLimit);
    } catch (error) {
      if (http.isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413)) {
        logger.warn(`Request body exceeded the maximum allowed size (limit: ${error.limit} bytes)`);
        // The rest of the body is not read: the connection cannot carry another request.
        res.setHeader('connection', 'close');
        http.buildNoBodyResponse(res, 413);
      } else {
        logger.warn(`Failed to read the request body: ${(error as Error).message}`);
        http.buildNoBodyResponse(res, 400);
      }
      return;
    }
    const text = buffered.rawBody.toString();
    const form = req.headers['content-type'] === 'application/x-www-form-urlencoded' ? formFields(text) : undefined;
    // Slack checks the certificate with `ssl_check=1`, unsigned; nothing else in such a body is read.
    if (form?.ssl_check === '1') {
      http.buildSSLCheckResponse(res);
      return;
    }
    try {
      verifySlackRequest({
        signingSecret,
        body: text,
        headers: { 'x-slack-signature': http.getHeader(req, 'x-slack-signature'), 'x-slack-request-timestamp': Number(http.getHeader(req, 'x-slack-request-timestamp')) },
        logger,
      });
    } catch (error) {
      logger.warn(`Failed to parse and verify the request data: ${(error as Error).message}`);
      http.buildNoBodyResponse(res, 401);
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = form ? (typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form) : (JSON.parse(text) as Record<string, unknown>);
    } catch (error) {
      logger.warn(`Malformed request body: ${(error as Error).message}`);
      http.buildNoBodyResponse(res, 400);
      return;
    }
    if (body.type === 'url_verification') {
      http.buildUrlVerificationResponse(res, body);
      return;
    }
    const ack = new HTTPResponseAck({
      logger, processBeforeResponse: false, unhandledRequestHandler: http.defaultUnhandledRequestHandler, unhandledRequestTimeoutMillis: 3001,
      httpRequest: buffered, httpRequestBody: body, httpResponse: res,
    });
    try {
      await bolt.processEvent({
        body, ack: ack.bind(), retryNum: http.extractRetryNumFromHTTPRequest(req), retryReason: http.extractRetryReasonFromHTTPRequest(req), customProperties: {},
      });
    } catch (error) {
      if (await http.defaultProcessEventErrorHandler({ error: error as Error, logger, request: req, response: res, storedResponse: ack.storedResponse })) ack.ack();
    }
  };
}

/**
 * An `application/x-www-form-urlencoded` body's fields, the last of a repeated name kept (a Slack
 * body repeats none). `+` is a space; a broken `%` escape, which `decodeURIComponent` refuses, is
 * read as `querystring` reads it (left as it is).
 */
export function formFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeFormPart(at < 0 ? pair : pair.slice(0, at));
    fields[name] = at < 0 ? '' : decodeFormPart(pair.slice(at + 1));
  }
  return fields;
}

function decodeFormPart(part: string): string {
  const spaced = part.includes('+') ? part.replace(/\+/g, ' ') : part;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return unescapeQuery(spaced);
  }
}
