import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/*
 * A Hetzner Cloud API simulator (REFERENCE.md, Hetzner Cloud API) on loopback: Bearer token
 * per project, read-only tokens, `GET /v1/servers` with label selectors and pagination,
 * `DELETE /v1/servers/{id}` returning an action that completes later, `GET /v1/actions/{id}`,
 * `GET /v1/server_types` with prices, `RateLimit-*` headers and 429 when the budget is spent,
 * and injectable faults (5xx, hangs, locked servers).
 *
 * Time comes from `now()` (the scenario clock), so a manual clock makes actions and the
 * rate-limit bucket deterministic.
 */

/** Hetzner server statuses. */
export type HcloudStatus =
  | 'running'
  | 'initializing'
  | 'starting'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

/** A server to put into a project. */
export interface HcloudServerInit {
  /** Assigned by the simulator when absent. */
  id?: number;
  name: string;
  status?: HcloudStatus;
  /** Creation time in ms; default: now. */
  createdMs?: number;
  labels?: Record<string, string>;
  /** Loopback address standing in for the public IPv4. */
  publicIp: string;
  /** Loopback addresses standing in for private network IPs. */
  privateIps?: string[];
  /** Delete protection (`protection.delete`; the API keeps rebuild equal to it); default off. */
  deleteProtected?: boolean;
  /** A name from SERVER_TYPES; default cx22. */
  serverType?: string;
  /** A name from DATACENTERS; default fsn1-dc14. */
  datacenter?: string;
}

/** A server as the simulator holds it. */
export interface HcloudServerRecord {
  id: number;
  project: string;
  name: string;
  status: HcloudStatus;
  createdMs: number;
  labels: Record<string, string>;
  publicIp: string;
  privateIps: string[];
  serverType: string;
  datacenter: string;
  /** Id of the running action that locks the server, or a fault lock (-1). */
  lockedBy: number | null;
  /** `protection.delete`: DELETE answers 403 `protected` while it is on. */
  deleteProtected: boolean;
}

/** An action (only `delete_server` is started by the API here). */
export interface HcloudAction {
  id: number;
  project: string;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  startedMs: number;
  finishedMs: number | null;
  /** When the simulator finishes it. */
  dueMs: number;
  resources: { id: number; type: 'server' }[];
  error: { code: string; message: string } | null;
}

/** One request as the simulator saw it (the token is never recorded). */
export interface HcloudRequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  project: string | null;
}

/** A Hetzner project: its token and an optional read-only token. */
export interface HcloudProjectInit {
  name: string;
  token?: string;
  readOnlyToken?: string;
}

/** Options of the simulator. */
export interface HcloudSimOptions {
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: one project named `default` with generated tokens. */
  projects?: HcloudProjectInit[];
  /** Requests per hour per project; default 3600 (Hetzner's limit). */
  rateLimitPerHour?: number;
  /** How long a delete_server action runs, in clock ms; default 2000. */
  deleteDelayMs?: number;
  /** Scenario time in ms; default Date.now. */
  now?: () => number;
}

interface ServerTypeInfo {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  /** Net EUR per hour. */
  hourly: number;
}

/** Server types the simulator knows, with Hetzner-like prices. */
export const SERVER_TYPES: readonly ServerTypeInfo[] = [
  {
    id: 104,
    name: 'cx22',
    description: 'CX22',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu_type: 'shared',
    architecture: 'x86',
    hourly: 0.006,
  },
  {
    id: 105,
    name: 'cx32',
    description: 'CX32',
    cores: 4,
    memory: 8,
    disk: 80,
    cpu_type: 'shared',
    architecture: 'x86',
    hourly: 0.0109,
  },
  {
    id: 106,
    name: 'cx42',
    description: 'CX42',
    cores: 8,
    memory: 16,
    disk: 160,
    cpu_type: 'shared',
    architecture: 'x86',
    hourly: 0.0266,
  },
  {
    id: 45,
    name: 'cax11',
    description: 'CAX11',
    cores: 2,
    memory: 4,
    disk: 40,
    cpu_type: 'shared',
    architecture: 'arm',
    hourly: 0.0063,
  },
  {
    id: 22,
    name: 'cpx21',
    description: 'CPX21',
    cores: 3,
    memory: 4,
    disk: 80,
    cpu_type: 'shared',
    architecture: 'x86',
    hourly: 0.0125,
  },
  {
    id: 96,
    name: 'ccx13',
    description: 'CCX13 Dedicated CPU',
    cores: 2,
    memory: 8,
    disk: 80,
    cpu_type: 'dedicated',
    architecture: 'x86',
    hourly: 0.0238,
  },
];

interface LocationInfo {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}
const LOCATIONS: readonly LocationInfo[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
  },
];
/**
 * Hourly price of a location relative to Falkenstein: Hetzner prices its US locations
 * higher than the German and Finnish ones (the figure is the simulator's, not Hetzner's).
 */
export const LOCATION_PRICE_FACTOR: Readonly<Record<string, number>> = { ash: 1.2 };
/** Datacenters by name, with their location. */
export const DATACENTERS: Readonly<Record<string, { id: number; location: string }>> = {
  'fsn1-dc14': { id: 4, location: 'fsn1' },
  'nbg1-dc3': { id: 2, location: 'nbg1' },
  'hel1-dc2': { id: 3, location: 'hel1' },
  'ash-dc1': { id: 5, location: 'ash' },
};

const VAT = 1.19;
const price = (n: number) => n.toFixed(10);

/** Hetzner writes times as `2016-01-30T23:55:00+00:00`. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A parsed `label_selector` term. */
type SelectorTerm =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'exists' | 'absent'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

const LABEL_KEY =
  /^([a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?$/;
const LABEL_VALUE = /^([a-z0-9A-Z]([a-z0-9A-Z._-]*[a-z0-9A-Z])?)?$/;

/**
 * Parses Hetzner's label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
 * `k notin (a,b)`, joined by commas (and). Throws for anything else.
 */
export function parseLabelSelector(selector: string): SelectorTerm[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  const bad = (t: string) =>
    new HttpError(
      400,
      'invalid_input',
      `invalid input in field 'label_selector': cannot parse ${JSON.stringify(t)}`,
    );
  return terms.map((raw): SelectorTerm => {
    const t = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(t))) {
      const values = (m[3] ?? '').split(',').map((v) => v.trim());
      if (!LABEL_KEY.test(m[1] ?? '') || values.some((v) => !LABEL_VALUE.test(v))) throw bad(t);
      return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1] ?? '', values };
    }
    if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1] ?? '') || !LABEL_VALUE.test(m[3] ?? '')) throw bad(t);
      return { op: m[2] === '!=' ? 'ne' : 'eq', key: m[1] ?? '', value: m[3] ?? '' };
    }
    if ((m = /^!\s*(\S+)$/.exec(t))) {
      if (!LABEL_KEY.test(m[1] ?? '')) throw bad(t);
      return { op: 'absent', key: m[1] ?? '' };
    }
    if (LABEL_KEY.test(t)) return { op: 'exists', key: t };
    throw bad(t);
  });
}

/** Whether labels match every term of a parsed selector. */
export function matchesSelector(labels: Record<string, string>, terms: SelectorTerm[]): boolean {
  return terms.every((term) => {
    const has = Object.hasOwn(labels, term.key);
    const value = labels[term.key];
    switch (term.op) {
      case 'eq':
        return has && value === term.value;
      case 'ne':
        return !has || value !== term.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && term.values.includes(value ?? '');
      case 'notin':
        return !has || !term.values.includes(value ?? '');
    }
  });
}

interface Project {
  name: string;
  token: string;
  readOnlyToken: string;
  /** Token bucket: requests left, as a fraction, and when it was last filled. */
  tokens: number;
  filledAt: number;
}

/** Listener for servers whose delete action completed. */
export type ServerDeletedListener = (server: HcloudServerRecord) => void;

/** The running Hetzner Cloud API simulator. */
export class HcloudSim {
  /** Base URL to configure as `apiUrl`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Every request, in order. */
  readonly requests: HcloudRequestLogEntry[] = [];

  private readonly projects = new Map<string, Project>();
  private readonly servers = new Map<number, HcloudServerRecord>();
  private readonly actions = new Map<number, HcloudAction>();
  private readonly deletedListeners = new Set<ServerDeletedListener>();
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private nextServerId = 1_000_001;
  private nextActionId = 5_000_001;
  private failQueue: { status: number; code: string }[] = [];
  private hangCount = 0;
  private disposed = false;

  private constructor(
    private readonly server: Server,
    url: string,
    private readonly limit: number,
    private readonly deleteDelayMs: number,
    private readonly now: () => number,
  ) {
    this.url = url;
  }

  /** Starts the simulator; resolves once it listens. */
  static async start(options: HcloudSimOptions = {}): Promise<HcloudSim> {
    const host = options.host ?? '127.0.0.1';
    if (!host.startsWith('127.'))
      throw new RangeError(`the Hetzner simulator listens on loopback only, not ${host}`);
    const limit = options.rateLimitPerHour ?? 3600;
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`rateLimitPerHour must be a positive integer, got ${limit}`);
    const delay = options.deleteDelayMs ?? 2000;
    if (!(delay >= 0)) throw new RangeError(`deleteDelayMs must be >= 0, got ${delay}`);
    const now = options.now ?? Date.now;
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('Hetzner simulator has no TCP address');
    const sim = new HcloudSim(server, `http://${host}:${address.port}/v1`, limit, delay, now);
    for (const p of options.projects ?? [{ name: 'default' }]) sim.addProject(p);
    server.on('connection', (socket) => {
      sim.sockets.add(socket);
      socket.on('close', () => sim.sockets.delete(socket));
    });
    server.on('request', (req, res) => sim.handle(req, res));
    return sim;
  }

  /** Adds a project; returns its tokens. */
  addProject(init: HcloudProjectInit): { token: string; readOnlyToken: string } {
    if (this.projects.has(init.name)) throw new Error(`project ${init.name} exists already`);
    const token = init.token ?? `hcsim${randomBytes(30).toString('base64url')}`.slice(0, 64);
    const readOnlyToken =
      init.readOnlyToken ?? `hcsimro${randomBytes(30).toString('base64url')}`.slice(0, 64);
    for (const p of this.projects.values()) {
      if (
        [p.token, p.readOnlyToken].includes(token) ||
        [p.token, p.readOnlyToken].includes(readOnlyToken)
      )
        throw new Error('every project needs its own tokens');
    }
    this.projects.set(init.name, {
      name: init.name,
      token,
      readOnlyToken,
      tokens: this.limit,
      filledAt: this.now(),
    });
    return { token, readOnlyToken };
  }

  /** The tokens of a project (for settings; tests register them with the redactor). */
  tokensOf(project = 'default'): { token: string; readOnlyToken: string } {
    const p = this.projects.get(project);
    if (!p) throw new Error(`no project ${project}`);
    return { token: p.token, readOnlyToken: p.readOnlyToken };
  }

  /** Puts a server into a project. */
  addServer(project: string, init: HcloudServerInit): HcloudServerRecord {
    if (!this.projects.has(project)) throw new Error(`no project ${project}`);
    const serverType = init.serverType ?? 'cx22';
    if (!SERVER_TYPES.some((t) => t.name === serverType))
      throw new Error(`unknown server type ${serverType}`);
    const datacenter = init.datacenter ?? 'fsn1-dc14';
    if (!DATACENTERS[datacenter]) throw new Error(`unknown datacenter ${datacenter}`);
    for (const ip of [init.publicIp, ...(init.privateIps ?? [])]) {
      if (!ip.startsWith('127.'))
        throw new RangeError(`simulated server addresses are loopback only, not ${ip}`);
    }
    const id = init.id ?? this.nextServerId++;
    if (this.servers.has(id)) throw new Error(`server ${id} exists already`);
    if ([...this.servers.values()].some((s) => s.project === project && s.name === init.name))
      throw new Error(`a server named ${init.name} exists already in ${project}`);
    const record: HcloudServerRecord = {
      id,
      project,
      name: init.name,
      status: init.status ?? 'running',
      createdMs: init.createdMs ?? this.now(),
      labels: { ...(init.labels ?? {}) },
      publicIp: init.publicIp,
      privateIps: [...(init.privateIps ?? [])],
      serverType,
      datacenter,
      lockedBy: null,
      deleteProtected: init.deleteProtected ?? false,
    };
    this.servers.set(id, record);
    return record;
  }

  /** Removes a server at once (docker-machine rm did it behind the API's back). */
  removeServer(id: number): boolean {
    return this.servers.delete(id);
  }

  /** Changes a server's status (e.g. `off`, `initializing`). */
  setStatus(id: number, status: HcloudStatus): void {
    const s = this.servers.get(id);
    if (!s) throw new Error(`no server ${id}`);
    s.status = status;
  }

  /** Servers of a project (or all), by id. */
  list(project?: string): HcloudServerRecord[] {
    this.settle();
    return [...this.servers.values()]
      .filter((s) => project === undefined || s.project === project)
      .sort((a, b) => a.id - b.id);
  }

  /** An action by id. */
  action(id: number): HcloudAction | undefined {
    this.settle();
    return this.actions.get(id);
  }

  /** Called when a delete action completes and the server is gone. Returns an unsubscribe function. */
  onServerDeleted(listener: ServerDeletedListener): () => void {
    this.deletedListeners.add(listener);
    return () => this.deletedListeners.delete(listener);
  }

  /** The next `count` authorised requests answer with this HTTP status (default 500). */
  failNext(
    count: number,
    status = 500,
    code = status === 503 ? 'unavailable' : 'server_error',
  ): void {
    for (let i = 0; i < count; i++) this.failQueue.push({ status, code });
  }

  /** The next `count` authorised requests never get an answer (until dispose or the client gives up). */
  hangNext(count: number): void {
    this.hangCount += count;
  }

  /** Locks a server as if another action ran on it: DELETE answers 423 until unlockServer. */
  lockServer(id: number): void {
    const s = this.servers.get(id);
    if (!s) throw new Error(`no server ${id}`);
    s.lockedBy = -1;
  }

  /** Turns delete protection on or off (`POST /servers/{id}/actions/change_protection` by someone else). */
  setDeleteProtection(id: number, on: boolean): void {
    const s = this.servers.get(id);
    if (!s) throw new Error(`no server ${id}`);
    s.deleteProtected = on;
  }

  /** Ends a fault lock. */
  unlockServer(id: number): void {
    const s = this.servers.get(id);
    if (s && s.lockedBy === -1) s.lockedBy = null;
  }

  /** Sets what is left of a project's rate-limit budget (e.g. 0 to get 429 next). */
  setRateLimitRemaining(remaining: number, project = 'default'): void {
    const p = this.projects.get(project);
    if (!p) throw new Error(`no project ${project}`);
    p.tokens = Math.max(0, Math.min(this.limit, remaining));
    p.filledAt = this.now();
  }

  /** Finishes actions that are due by the clock; called on every request and by the scenario. */
  settle(): void {
    const now = this.now();
    for (const action of this.actions.values()) {
      if (action.status !== 'running') continue;
      if (now < action.dueMs) {
        const span = Math.max(1, action.dueMs - action.startedMs);
        action.progress = Math.min(99, Math.floor(((now - action.startedMs) / span) * 100));
        continue;
      }
      action.status = 'success';
      action.progress = 100;
      action.finishedMs = action.dueMs;
      for (const r of action.resources) {
        const server = this.servers.get(r.id);
        if (!server) continue;
        this.servers.delete(r.id);
        for (const listener of [...this.deletedListeners]) listener(server);
      }
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.deletedListeners.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /** Records a request; a long demo keeps the recent 10 000. */
  private log(entry: HcloudRequestLogEntry): void {
    this.requests.push(entry);
    if (this.requests.length > 10_000) this.requests.splice(0, this.requests.length - 10_000);
  }

  private refill(p: Project): void {
    const now = this.now();
    const elapsed = Math.max(0, now - p.filledAt);
    p.tokens = Math.min(this.limit, p.tokens + (elapsed * this.limit) / 3_600_000);
    p.filledAt = now;
  }

  private rateHeaders(p: Project): Record<string, string> {
    const missing = this.limit - p.tokens;
    const resetSec = Math.ceil((this.now() + (missing * 3_600_000) / this.limit) / 1000);
    return {
      'RateLimit-Limit': String(this.limit),
      'RateLimit-Remaining': String(Math.floor(p.tokens)),
      'RateLimit-Reset': String(resetSec),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length === 1 ? (all[0] ?? '') : all;
    }
    const entry: HcloudRequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      status: 0,
      project: null,
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      this.log(entry);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (e: HttpError, headers: Record<string, string> = {}) =>
      send(e.status, { error: { code: e.code, message: e.message, details: {} } }, headers);

    // the body is not needed by any call here, but it must be drained
    req.resume();

    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(auth);
    const bearer = m?.[1];
    let project: Project | undefined;
    let readOnly = false;
    for (const p of this.projects.values()) {
      if (bearer === p.token) project = p;
      else if (bearer === p.readOnlyToken) {
        project = p;
        readOnly = true;
      }
    }
    if (!project) return fail(new HttpError(401, 'unauthorized', 'unable to authenticate'));
    entry.project = project.name;

    this.refill(project);
    if (project.tokens < 1) {
      return fail(
        new HttpError(429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached'),
        this.rateHeaders(project),
      );
    }
    project.tokens -= 1;
    const headers = this.rateHeaders(project);

    if (this.hangCount > 0) {
      this.hangCount--;
      entry.status = -1; // never answered
      this.log(entry);
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const fault = this.failQueue.shift();
    if (fault)
      return fail(new HttpError(fault.status, fault.code, 'simulated server error'), headers);

    this.settle();
    try {
      const body = this.route(req.method ?? 'GET', url, project, readOnly);
      send(200, body, headers);
    } catch (error) {
      if (error instanceof HttpError) fail(error, headers);
      else
        fail(
          new HttpError(
            500,
            'server_error',
            error instanceof Error ? error.message : 'internal error',
          ),
          headers,
        );
    }
  }

  private route(method: string, url: URL, project: Project, readOnly: boolean): unknown {
    const path = url.pathname.replace(/\/+$/, '');
    const notFound = () => new HttpError(404, 'not_found', `resource not found`);
    let m: RegExpExecArray | null;
    if (path === '/v1/servers') {
      if (method !== 'GET')
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on /servers here`);
      return this.listServers(url.searchParams, project);
    }
    if ((m = /^\/v1\/servers\/([^/]+)$/.exec(path))) {
      const id = Number(m[1]);
      if (!Number.isInteger(id) || id < 1)
        throw new HttpError(400, 'invalid_input', `invalid server id ${JSON.stringify(m[1])}`);
      const server = this.servers.get(id);
      if (!server || server.project !== project.name) throw notFound();
      if (method === 'GET') return { server: this.serverJson(server) };
      if (method === 'DELETE') {
        if (readOnly)
          throw new HttpError(
            403,
            'forbidden',
            'insufficient permissions for this request: token is read-only',
          );
        if (server.deleteProtected)
          throw new HttpError(403, 'protected', 'server is delete protected');
        if (server.lockedBy !== null)
          throw new HttpError(423, 'locked', 'server is locked by another action');
        return { action: this.actionJson(this.startDelete(server)) };
      }
      throw new HttpError(
        405,
        'method_not_allowed',
        `${method} is not allowed on /servers/{id} here`,
      );
    }
    if ((m = /^\/v1\/actions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const action = this.actions.get(Number(m[1]));
      if (!action || action.project !== project.name) throw notFound();
      return { action: this.actionJson(action) };
    }
    if (path === '/v1/server_types' && method === 'GET') {
      const name = url.searchParams.get('name');
      const types = SERVER_TYPES.filter((t) => name === null || t.name === name).map((t) =>
        this.serverTypeJson(t),
      );
      const { page, perPage } = this.paging(url.searchParams);
      return {
        server_types: types.slice((page - 1) * perPage, page * perPage),
        meta: { pagination: this.pagination(page, perPage, types.length) },
      };
    }
    throw notFound();
  }

  private paging(params: URLSearchParams): { page: number; perPage: number } {
    const int = (name: string, def: number) => {
      const raw = params.get(name);
      if (raw === null) return def;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1)
        throw new HttpError(400, 'invalid_input', `invalid input in field '${name}'`);
      return n;
    };
    // Hetzner caps per_page at 50 rather than refusing larger values
    return { page: int('page', 1), perPage: Math.min(50, int('per_page', 25)) };
  }

  private pagination(page: number, perPage: number, total: number) {
    const last = Math.max(1, Math.ceil(total / perPage));
    return {
      page,
      per_page: perPage,
      previous_page: page > 1 ? Math.min(page - 1, last) : null,
      next_page: page < last ? page + 1 : null,
      last_page: last,
      total_entries: total,
    };
  }

  private listServers(params: URLSearchParams, project: Project) {
    const selector = params.get('label_selector');
    const terms = selector === null || selector === '' ? [] : parseLabelSelector(selector);
    const name = params.get('name');
    const statuses = params.getAll('status');
    const known = [
      'running',
      'initializing',
      'starting',
      'stopping',
      'off',
      'deleting',
      'migrating',
      'rebuilding',
      'unknown',
    ];
    for (const s of statuses)
      if (!known.includes(s))
        throw new HttpError(400, 'invalid_input', `invalid input in field 'status'`);
    const sort = params.get('sort') ?? 'id:asc';
    const [sortKey = 'id', dir = 'asc'] = sort.split(':');
    if (!['id', 'name', 'created'].includes(sortKey) || !['asc', 'desc'].includes(dir))
      throw new HttpError(400, 'invalid_input', `invalid input in field 'sort'`);
    const { page, perPage } = this.paging(params);
    const all = [...this.servers.values()]
      .filter((s) => s.project === project.name)
      .filter((s) => name === null || s.name === name)
      .filter((s) => statuses.length === 0 || statuses.includes(s.status))
      .filter((s) => matchesSelector(s.labels, terms))
      .sort((a, b) => {
        const d =
          sortKey === 'name'
            ? a.name.localeCompare(b.name)
            : sortKey === 'created'
              ? a.createdMs - b.createdMs || a.id - b.id
              : a.id - b.id;
        return dir === 'desc' ? -d : d;
      });
    return {
      servers: all.slice((page - 1) * perPage, page * perPage).map((s) => this.serverJson(s)),
      meta: { pagination: this.pagination(page, perPage, all.length) },
    };
  }

  private startDelete(server: HcloudServerRecord): HcloudAction {
    const now = this.now();
    const action: HcloudAction = {
      id: this.nextActionId++,
      project: server.project,
      command: 'delete_server',
      status: 'running',
      progress: 0,
      startedMs: now,
      finishedMs: null,
      dueMs: now + this.deleteDelayMs,
      resources: [{ id: server.id, type: 'server' }],
      error: null,
    };
    this.actions.set(action.id, action);
    server.lockedBy = action.id;
    server.status = 'deleting';
    if (this.deleteDelayMs === 0) this.settle();
    return action;
  }

  private actionJson(a: HcloudAction) {
    return {
      id: a.id,
      command: a.command,
      status: a.status,
      progress: a.progress,
      started: isoTime(a.startedMs),
      finished: a.finishedMs === null ? null : isoTime(a.finishedMs),
      resources: a.resources,
      error: a.error,
    };
  }

  private serverTypeJson(t: ServerTypeInfo) {
    return {
      id: t.id,
      name: t.name,
      description: t.description,
      cores: t.cores,
      memory: t.memory,
      disk: t.disk,
      deprecated: false,
      deprecation: null,
      storage_type: 'local',
      cpu_type: t.cpu_type,
      architecture: t.architecture,
      included_traffic: 21_990_232_555_520,
      prices: LOCATIONS.map((l) => {
        const hourly = t.hourly * (LOCATION_PRICE_FACTOR[l.name] ?? 1);
        return {
          location: l.name,
          price_hourly: { net: price(hourly), gross: price(hourly * VAT) },
          // Hetzner's monthly cap is about 30.4 days of the hourly price… rounded to cents
          price_monthly: {
            net: price(Math.round(hourly * 730 * 100) / 100),
            gross: price(Math.round(hourly * 730 * VAT * 100) / 100),
          },
          included_traffic: 21_990_232_555_520,
          price_per_tb_traffic: { net: '1.0000000000', gross: '1.1900000000' },
        };
      }),
    };
  }

  private serverJson(s: HcloudServerRecord) {
    const type = SERVER_TYPES.find((t) => t.name === s.serverType) ?? SERVER_TYPES[0]!;
    const dc = DATACENTERS[s.datacenter] ?? { id: 4, location: 'fsn1' };
    const location = LOCATIONS.find((l) => l.name === dc.location) ?? LOCATIONS[0]!;
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: isoTime(s.createdMs),
      labels: { ...s.labels },
      locked: s.lockedBy !== null,
      public_net: {
        ipv4: {
          id: s.id + 40_000_000,
          ip: s.publicIp,
          blocked: false,
          dns_ptr: `static.${s.publicIp.split('.').reverse().join('.')}.clients.your-server.de`,
        },
        ipv6: null,
        floating_ips: [],
        firewalls: [],
      },
      private_net: s.privateIps.map((ip, i) => ({
        network: 4711 + i,
        ip,
        alias_ips: [],
        mac_address: `86:00:00:${(s.id & 0xff).toString(16).padStart(2, '0')}:00:0${i}`,
      })),
      server_type: { ...this.serverTypeJson(type) },
      datacenter: {
        id: dc.id,
        name: s.datacenter,
        description: `${location.city} ${s.datacenter.split('-')[1] ?? ''}`.trim(),
        location,
      },
      image: {
        id: 114_690_387,
        type: 'system',
        status: 'available',
        name: 'ubuntu-24.04',
        description: 'Ubuntu 24.04',
        os_flavor: 'ubuntu',
        os_version: '24.04',
      },
      iso: null,
      rescue_enabled: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: 21_990_232_555_520,
      protection: { delete: s.deleteProtected, rebuild: s.deleteProtected },
      volumes: [],
      load_balancers: [],
      primary_disk_size: type.disk,
      placement_group: null,
    };
  }
}
