import { CliError } from './cli-error';

/** Calls the admin API with the bearer token; a refusal becomes a CliError with the API's code. */
export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    /** Where the URL came from, named when nothing answers there. */
    private readonly urlSetting = 'HERALD_ADMIN_URL',
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(
        'CLI_ADMIN_UNREACHABLE',
        `${method} ${url}: ${reason} (is ${this.urlSetting} right?)`,
      );
    }
    const text = await response.text();
    const answer: unknown = text === '' ? undefined : parseJson(text);
    if (!response.ok) {
      const { code, message } = refusal(answer, response);
      throw new CliError(code, Array.isArray(message) ? message.join('; ') : String(message));
    }
    return answer as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not the API's JSON (a proxy's page): shown by its status instead.
    return undefined;
  }
}

function refusal(answer: unknown, response: Response): { code: string; message: unknown } {
  if (typeof answer === 'object' && answer !== null && 'code' in answer && typeof answer.code === 'string') {
    return { code: answer.code, message: 'message' in answer ? answer.message : response.statusText };
  }
  return { code: `HTTP_${response.status}`, message: response.statusText };
}
