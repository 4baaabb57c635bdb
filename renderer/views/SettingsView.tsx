import { useId, useMemo, useState, type ReactNode } from 'react';
import { ReaperMode } from '../../shared/proposal';
import type { Settings } from '../../shared/settings';
import type { SecretStatus, SettingsDocument } from '../../shared/settings-api';
import { OPEN_WITH_TOKEN_MESSAGE } from '../api/transport';
import { useConnected } from '../api/useFleet';
import {
  useCheckGitLab,
  useHostKey,
  useImportToml,
  useSaveSettings,
  useSettingsDocument,
  useTrustHostKey,
} from '../api/useSettings';
import { StateMessage } from '../components/StateMessage';
import { formatTime } from '../format';
import {
  getAt,
  groupIssues,
  pathKey,
  problemsUnder,
  setAt,
  validateDraft,
  type Path,
} from '../settings-draft';

/** What each reaper mode does, as the mode selector explains it. */
export const MODE_HELP: Record<ReaperMode, string> = {
  off: 'off — watch only: proposals are shown but nothing can be executed',
  notify: 'notify — proposals and a notification; a person confirms each kill',
  'dry-run': 'dry-run — record in the audit log what would be done, touch nothing',
  auto: 'auto — kill on its own, still within every guard (minimum size, hourly budget, re-check)',
};

type TypedSecrets = Map<string, { path: Path; value: string }>;

interface Editor {
  draft: Settings;
  problems: ReadonlyMap<string, string[]>;
  secrets: readonly SecretStatus[];
  typed: TypedSecrets;
  document: SettingsDocument;
  disabled: boolean;
  set(path: Path, value: unknown): void;
  type(path: Path, value: string): void;
}

/** The Settings view: every source, fleet and interval, validated as you type, saved and applied by the host. */
export function SettingsView() {
  const query = useSettingsDocument();
  const save = useSaveSettings();
  if (query.data === undefined) {
    if (query.error?.code === 'unauthenticated')
      return (
        <StateMessage kind="auth" title="Sign-in needed">
          <p>{OPEN_WITH_TOKEN_MESSAGE}</p>
        </StateMessage>
      );
    if (query.error)
      return (
        <StateMessage kind="error" title="Cannot read the settings">
          <p>Cannot read the settings: {query.error.message}</p>
          <p>
            <button type="button" onClick={() => void query.refetch()}>
              Retry
            </button>
          </p>
        </StateMessage>
      );
    return (
      <StateMessage kind="loading" title="Loading the settings…">
        <p>Asking Runner Watch for the settings it watches with.</p>
      </StateMessage>
    );
  }
  // A newly saved document (ours or another window's) starts a fresh draft.
  return (
    <SettingsEditor
      key={`${query.data.appliedAt ?? ''}:${JSON.stringify(query.data.settings)}`}
      document={query.data}
      save={save}
    />
  );
}

function SettingsEditor(props: {
  document: SettingsDocument;
  save: ReturnType<typeof useSaveSettings>;
}) {
  const { document, save } = props;
  const connected = useConnected();
  const [draft, setDraft] = useState<Settings>(document.settings);
  const [typed, setTyped] = useState<TypedSecrets>(new Map());
  const [serverIssues, setServerIssues] = useState<Map<string, string[]> | null>(null);

  const local = useMemo(() => validateDraft(draft, typed), [draft, typed]);
  const problems = serverIssues && serverIssues.size > 0 && local.size === 0 ? serverIssues : local;
  const dirty = typed.size > 0 || JSON.stringify(draft) !== JSON.stringify(document.settings);
  const editor: Editor = {
    draft,
    problems,
    secrets: document.secrets,
    typed,
    document,
    disabled: !document.writable || !connected || save.isPending,
    set: (path, value) => {
      setServerIssues(null);
      setDraft((current) => setAt(current, path, value));
    },
    type: (path, value) => {
      setServerIssues(null);
      setTyped((current) => {
        const next = new Map(current);
        if (value === '') next.delete(pathKey(path));
        else next.set(pathKey(path), { path, value });
        return next;
      });
    },
  };

  const onSave = () => {
    save.mutate(
      {
        settings: draft as unknown as Record<string, unknown>,
        secrets: [...typed.values()].map(({ path, value }) => ({ path: [...path], value })),
      },
      {
        onSuccess: (result) => {
          // A kept secret is gone from the page at once; the status says "token is set".
          if (result.ok) setTyped(new Map());
          else setServerIssues(groupIssues(result.issues));
        },
      },
    );
  };
  const allProblems = [...problems].flatMap(([key, list]) =>
    list.map((message) => ({ key, message })),
  );
  const result = save.data;

  return (
    <div className="view settings-view">
      <div className="toolbar settings-toolbar">
        <span className="small muted settings-location">
          {document.writable ? 'Saved to' : 'Read from'} <code>{document.location}</code>
          {document.appliedAt !== null ? ` · in force since ${formatTime(document.appliedAt)}` : ''}
        </span>
        <button
          type="button"
          onClick={() => {
            setDraft(document.settings);
            setTyped(new Map());
            setServerIssues(null);
          }}
          disabled={!dirty || save.isPending}
        >
          Revert
        </button>
        <button
          type="button"
          className="primary"
          onClick={onSave}
          disabled={editor.disabled || !dirty || problems.size > 0}
          data-testid="settings-save"
        >
          {save.isPending ? 'Saving and applying…' : 'Save and apply'}
        </button>
      </div>
      <div className="view-scroll settings-scroll">
        {!document.writable ? (
          <p className="banner banner-down">
            This host cannot change its settings; edit {document.location} and restart.
          </p>
        ) : null}
        {allProblems.length > 0 ? (
          <div className="settings-problems" role="alert" data-testid="settings-problems">
            <strong>
              {allProblems.length} problem{allProblems.length === 1 ? '' : 's'} to fix before
              saving:
            </strong>
            <ul>
              {allProblems.map((p) => (
                <li key={`${p.key}:${p.message}`}>
                  {p.key ? <code>{p.key}</code> : 'settings'}: {p.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {result?.ok ? (
          <p
            className={`settings-result ${result.applied ? 'ok-text' : 'warn-text'}`}
            role="status"
            data-testid="settings-result"
          >
            Saved. {result.message}.
          </p>
        ) : null}
        {save.isError ? (
          <p className="error-text" role="alert">
            Not saved: {save.error.message}
          </p>
        ) : null}
        <SecretNote document={document} />
        <GitLabSection editor={editor} />
        <HetznerSection editor={editor} />
        <FleetsSection editor={editor} />
        <SshHostsSection editor={editor} />
        <IntervalsSection editor={editor} />
        <NotificationsSection editor={editor} />
        <ImportSection editor={editor} />
      </div>
    </div>
  );
}

function SecretNote(props: { document: SettingsDocument }) {
  const { document } = props;
  return (
    <p className="small muted" data-testid="secret-note">
      Tokens are write-only: this page shows whether one is set, never its value.{' '}
      {document.secretStorage === 'file'
        ? `A token typed here is written to a file only you can read (mode 0600) in ${document.secretDir ?? 'the state folder'}, and the config file gets a {"file": …} reference to it: the config file never holds a token itself.`
        : document.secretStorage === 'stored'
          ? 'A token typed here is kept in the encrypted store of this desktop app.'
          : 'This host takes references only: name an environment variable or a file.'}
    </p>
  );
}

// ---- fields ---------------------------------------------------------------------------

function Field(props: {
  editor: Editor;
  path: Path;
  label: string;
  help?: ReactNode;
  children: (id: string, invalid: boolean, describedBy: string) => ReactNode;
}) {
  const id = useId();
  const errors = props.editor.problems.get(pathKey(props.path)) ?? [];
  const helpId = `${id}-help`;
  return (
    <div
      className={`field${errors.length > 0 ? ' has-error' : ''}`}
      data-path={pathKey(props.path)}
    >
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, errors.length > 0, helpId)}
      <span id={helpId} className="field-notes">
        {errors.map((error) => (
          <span key={error} className="field-error" data-testid="field-error">
            {error}
          </span>
        ))}
        {props.help ? <span className="field-help">{props.help}</span> : null}
      </span>
    </div>
  );
}

function TextField(props: {
  editor: Editor;
  path: Path;
  label: string;
  help?: ReactNode;
  placeholder?: string;
  optional?: boolean;
}) {
  const value = getAt(props.editor.draft, props.path);
  return (
    <Field editor={props.editor} path={props.path} label={props.label} help={props.help}>
      {(id, invalid, describedBy) => (
        <input
          id={id}
          type="text"
          value={typeof value === 'string' ? value : ''}
          placeholder={props.placeholder}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          disabled={props.editor.disabled}
          onChange={(event) =>
            props.editor.set(
              props.path,
              props.optional && event.target.value === '' ? undefined : event.target.value,
            )
          }
        />
      )}
    </Field>
  );
}

function NumberField(props: {
  editor: Editor;
  path: Path;
  label: string;
  help?: ReactNode;
  unit?: string;
  nullable?: boolean;
  /** What an empty field means; "off" for nullable fields unless said otherwise. */
  placeholder?: string;
}) {
  const value = getAt(props.editor.draft, props.path);
  // The text as typed ("1." on the way to "1.5"), re-derived when the value changes
  // from outside (revert, import), which React allows during render.
  const [text, setText] = useState(typeof value === 'number' ? String(value) : '');
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    if (parseNumberText(text, props.nullable === true) !== value)
      setText(typeof value === 'number' ? String(value) : '');
  }
  return (
    <Field editor={props.editor} path={props.path} label={props.label} help={props.help}>
      {(id, invalid, describedBy) => (
        <span className="number-input">
          <input
            id={id}
            type="text"
            inputMode="decimal"
            value={text}
            placeholder={props.placeholder ?? (props.nullable ? 'off' : undefined)}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            disabled={props.editor.disabled}
            onChange={(event) => {
              setText(event.target.value);
              props.editor.set(
                props.path,
                parseNumberText(event.target.value, props.nullable === true),
              );
            }}
          />
          {props.unit ? <span className="muted small">{props.unit}</span> : null}
        </span>
      )}
    </Field>
  );
}

/**
 * A number field's text as a settings value: empty is the default (or null where the
 * setting can be off); a non-number stays text so the schema names the problem there.
 */
function parseNumberText(text: string, nullable: boolean): unknown {
  const raw = text.trim();
  if (raw === '') return nullable ? null : undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

function CheckField(props: { editor: Editor; path: Path; label: string; help?: ReactNode }) {
  const value = getAt(props.editor.draft, props.path);
  return (
    <Field editor={props.editor} path={props.path} label={props.label} help={props.help}>
      {(id, _invalid, describedBy) => (
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          aria-describedby={describedBy}
          disabled={props.editor.disabled}
          onChange={(event) => props.editor.set(props.path, event.target.checked)}
        />
      )}
    </Field>
  );
}

function SelectField(props: {
  editor: Editor;
  path: Path;
  label: string;
  options: readonly { value: string; text: string }[];
  help?: ReactNode;
}) {
  const value = getAt(props.editor.draft, props.path);
  return (
    <Field editor={props.editor} path={props.path} label={props.label} help={props.help}>
      {(id, invalid, describedBy) => (
        <select
          id={id}
          value={typeof value === 'string' ? value : ''}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          disabled={props.editor.disabled}
          onChange={(event) => props.editor.set(props.path, event.target.value)}
        >
          {props.options.some((o) => o.value === value) ? null : (
            <option value={typeof value === 'string' ? value : ''}>
              {typeof value === 'string' && value !== '' ? value : 'choose…'}
            </option>
          )}
          {props.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * A write-only secret: says whether the saved reference resolves ("token is set"), takes a
 * new value (kept by the host, never shown again) or a reference to a variable or file.
 */
function SecretField(props: { editor: Editor; path: Path; label: string }) {
  const { editor, path } = props;
  const ref = getAt(editor.draft, path) as Record<string, unknown> | undefined;
  const status = editor.secrets.find((s) => pathKey(s.path) === pathKey(path));
  const typedValue = editor.typed.get(pathKey(path))?.value ?? '';
  const kind = ref && 'file' in ref ? 'file' : ref && 'stored' in ref ? 'stored' : 'env';
  const name = typeof ref?.[kind] === 'string' ? (ref[kind] as string) : '';
  const savedRef = status ? `${status.kind} ${status.name}` : null;
  const sameAsSaved = status !== undefined && status.kind === kind && status.name === name;
  return (
    <Field
      editor={editor}
      path={path}
      label={props.label}
      help={
        typedValue !== ''
          ? 'will be kept by the host when you save; it is never shown again'
          : sameAsSaved && status.set
            ? `token is set (${savedRef})`
            : sameAsSaved && status.problem
              ? `not set: ${status.problem}`
              : name !== ''
                ? `will be read from ${kind === 'env' ? 'environment variable' : kind} ${name}`
                : 'no token yet: type one, or name an environment variable or file'
      }
    >
      {(id, invalid, describedBy) => (
        <span className="secret-input">
          <input
            id={id}
            type="password"
            autoComplete="new-password"
            placeholder={
              sameAsSaved && status.set ? 'token is set — type to replace' : 'type a new token'
            }
            value={typedValue}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            disabled={editor.disabled || editor.document.secretStorage === 'none'}
            onChange={(event) => editor.type(path, event.target.value)}
            data-testid="secret-input"
          />
          <span className="secret-ref">
            <span className="muted small">or</span>
            <select
              aria-label={`${props.label}: reference kind`}
              value={kind}
              disabled={editor.disabled || typedValue !== ''}
              onChange={(event) => editor.set(path, { [event.target.value]: name })}
            >
              <option value="env">env var</option>
              <option value="file">file</option>
              {kind === 'stored' ? <option value="stored">desktop store</option> : null}
            </select>
            <input
              type="text"
              aria-label={`${props.label}: ${kind === 'env' ? 'variable name' : 'file path'}`}
              value={name}
              disabled={editor.disabled || typedValue !== ''}
              onChange={(event) => editor.set(path, { [kind]: event.target.value })}
            />
          </span>
        </span>
      )}
    </Field>
  );
}

function Section(props: {
  editor: Editor;
  path: Path;
  title: string;
  intro: ReactNode;
  children: ReactNode;
}) {
  const count = problemsUnder(props.editor.problems, props.path);
  return (
    <section className="settings-section" aria-label={props.title}>
      <h2>
        {props.title}
        {count > 0 ? (
          <span className="badge badge-error">
            {count} problem{count === 1 ? '' : 's'}
          </span>
        ) : null}
      </h2>
      <p className="small muted">{props.intro}</p>
      {props.children}
    </section>
  );
}

function EntryList<T>(props: {
  editor: Editor;
  list: 'gitlab' | 'hetzner' | 'fleets' | 'sshHosts';
  noun: string;
  titleOf: (entry: T, index: number) => string;
  blank: () => unknown;
  children: (index: number) => ReactNode;
}) {
  const entries = (props.editor.draft[props.list] ?? []) as T[];
  return (
    <>
      {entries.length === 0 ? <p className="muted">No {props.noun} yet.</p> : null}
      {entries.map((entry, index) => (
        <fieldset
          key={index}
          className="entry"
          data-testid={`settings-${props.list}`}
          aria-label={`${props.noun} ${props.titleOf(entry, index)}`}
        >
          <legend>{props.titleOf(entry, index)}</legend>
          <div className="entry-fields">{props.children(index)}</div>
          <button
            type="button"
            className="entry-remove"
            disabled={props.editor.disabled}
            onClick={() =>
              props.editor.set(
                [props.list],
                entries.filter((_, i) => i !== index),
              )
            }
          >
            Remove {props.noun}
          </button>
        </fieldset>
      ))}
      <button
        type="button"
        disabled={props.editor.disabled}
        onClick={() => props.editor.set([props.list], [...entries, props.blank()])}
      >
        Add {props.noun}
      </button>
    </>
  );
}

function fleetOptions(editor: Editor) {
  return editor.draft.fleets.map((f) => ({
    value: f.id,
    text: f.name ? `${f.id} (${f.name})` : f.id,
  }));
}

// ---- sections -------------------------------------------------------------------------

function GitLabSection(props: { editor: Editor }) {
  const { editor } = props;
  const check = useCheckGitLab();
  const saved = new Set(editor.document.settings.gitlab.map((g) => g.id));
  return (
    <Section
      editor={editor}
      path={['gitlab']}
      title="GitLab instances"
      intro="Runners, running jobs and the job→machine links come from here. The token needs read_api; pruning stale runners needs manage_runner; an administrator token lists every runner of the instance."
    >
      <EntryList<Settings['gitlab'][number]>
        editor={editor}
        list="gitlab"
        noun="GitLab instance"
        titleOf={(g, i) => g.id || `instance ${i + 1}`}
        blank={() => ({ id: '', url: 'https://', token: { env: '' } })}
      >
        {(i) => {
          const id = editor.draft.gitlab[i]?.id ?? '';
          const result = check.data?.id === id ? check.data : null;
          return (
            <>
              <TextField
                editor={editor}
                path={['gitlab', i, 'id']}
                label="Id"
                help="a short name, used in source ids and the audit log"
              />
              <TextField
                editor={editor}
                path={['gitlab', i, 'url']}
                label="URL"
                placeholder="https://gitlab.example.com"
              />
              <SecretField editor={editor} path={['gitlab', i, 'token']} label="Token" />
              <NumberField
                editor={editor}
                path={['gitlab', i, 'intervalSec']}
                label="Poll every"
                unit="s"
              />
              <NumberField
                editor={editor}
                path={['gitlab', i, 'staleAfterDays']}
                label="Stale after"
                unit="days without contact"
                help="GitLab itself says 7"
              />
              <div className="field field-action">
                <button
                  type="button"
                  disabled={!saved.has(id) || check.isPending || !editor.document.writable}
                  title={saved.has(id) ? undefined : 'save the instance first'}
                  onClick={() => check.mutate(id)}
                >
                  Check token scopes
                </button>
                {result ? (
                  <span
                    className={
                      result.reached && result.missing.length === 0 ? 'ok-text' : 'warn-text'
                    }
                    data-testid="scope-result"
                  >
                    {result.scopes ? `scopes: ${result.scopes.join(', ')}. ` : ''}
                    {result.message}
                  </span>
                ) : check.isError ? (
                  <span className="error-text">{check.error.message}</span>
                ) : null}
              </div>
            </>
          );
        }}
      </EntryList>
    </Section>
  );
}

function HetznerSection(props: { editor: Editor }) {
  const { editor } = props;
  return (
    <Section
      editor={editor}
      path={['hetzner']}
      title="Hetzner Cloud projects"
      intro="The servers of each project become machines of one fleet. A read-write API token is needed to delete servers."
    >
      <EntryList<Settings['hetzner'][number]>
        editor={editor}
        list="hetzner"
        noun="Hetzner project"
        titleOf={(h, i) => h.id || `project ${i + 1}`}
        blank={() => ({ id: '', fleet: editor.draft.fleets[0]?.id ?? '', token: { env: '' } })}
      >
        {(i) => (
          <>
            <TextField editor={editor} path={['hetzner', i, 'id']} label="Id" />
            <SelectField
              editor={editor}
              path={['hetzner', i, 'fleet']}
              label="Fleet"
              options={fleetOptions(editor)}
            />
            <SecretField editor={editor} path={['hetzner', i, 'token']} label="API token" />
            <TextField
              editor={editor}
              path={['hetzner', i, 'labelSelector']}
              label="Label selector"
              optional
              placeholder="role=ci-runner"
              help="only servers with these labels"
            />
            <TextField
              editor={editor}
              path={['hetzner', i, 'namePrefix']}
              label="Name prefix"
              optional
              help="only servers whose name starts with this (the runner's MachineName)"
            />
            <TextField editor={editor} path={['hetzner', i, 'apiUrl']} label="API URL" />
            <NumberField
              editor={editor}
              path={['hetzner', i, 'intervalSec']}
              label="Poll every"
              unit="s"
            />
          </>
        )}
      </EntryList>
    </Section>
  );
}

function FleetsSection(props: { editor: Editor }) {
  const { editor } = props;
  return (
    <Section
      editor={editor}
      path={['fleets']}
      title="Fleets: thresholds and reaper modes"
      intro="A fleet is a group of machines with one policy. The disk rule proposes a VM when its disk is at or over the threshold on a watched mount for N samples in a row and nothing important runs on it."
    >
      <EntryList<Settings['fleets'][number]>
        editor={editor}
        list="fleets"
        noun="fleet"
        titleOf={(f, i) => f.name ?? (f.id || `fleet ${i + 1}`)}
        blank={() => ({ id: '' })}
      >
        {(i) => (
          <>
            <TextField editor={editor} path={['fleets', i, 'id']} label="Id" />
            <TextField editor={editor} path={['fleets', i, 'name']} label="Name" optional />
            <SelectField
              editor={editor}
              path={['fleets', i, 'kind']}
              label="Kind"
              options={[
                { value: 'autoscaled', text: 'autoscaled — VMs the reaper may delete' },
                { value: 'dedicated', text: 'dedicated — hosts that only get cleanups' },
              ]}
            />
            <SelectField
              editor={editor}
              path={['fleets', i, 'probe']}
              label="Read machines"
              options={[
                { value: 'ssh', text: 'ssh — probe each machine (disks, job containers, load)' },
                { value: 'none', text: 'none — no SSH; disks and load from Prometheus' },
              ]}
              help="none: job containers stay unknown, so the reaper never deletes these machines on its own; needs a prometheus entry for this fleet in the settings file"
            />
            <SelectField
              editor={editor}
              path={['fleets', i, 'reaper', 'mode']}
              label="Reaper mode"
              options={ReaperMode.options.map((mode) => ({ value: mode, text: MODE_HELP[mode] }))}
              help="switching here is audited like a switch in the Proposals view"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'warnPct']}
              label="Warn at"
              unit="% disk"
              help="the tray and the header warn from here"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'diskThresholdPct']}
              label="Kill threshold"
              unit="% disk"
              help="the disk rule fires at or over this"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'samples']}
              label="Samples in a row"
              help="consecutive probes at or over the threshold before a proposal"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'idleMinutes']}
              label="Idle for"
              unit="min"
              help="no job container and no running GitLab job for this long"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'maxAgeHours']}
              label="Max age"
              unit="h"
              nullable
              help="empty: off"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'minFleetSize']}
              label="Minimum fleet size"
              help="never kill below this many machines"
            />
            <NumberField
              editor={editor}
              path={['fleets', i, 'reaper', 'maxKillsPerHour']}
              label="Kills per hour at most"
            />
            <Field
              editor={editor}
              path={['fleets', i, 'watchedMounts']}
              label="Watched mounts"
              help="comma-separated mount points"
            >
              {(id, invalid, describedBy) => (
                <input
                  id={id}
                  type="text"
                  value={(editor.draft.fleets[i]?.watchedMounts ?? []).join(', ')}
                  aria-invalid={invalid}
                  aria-describedby={describedBy}
                  disabled={editor.disabled}
                  onChange={(event) =>
                    editor.set(
                      ['fleets', i, 'watchedMounts'],
                      event.target.value
                        .split(',')
                        .map((m) => m.trim())
                        .filter(Boolean),
                    )
                  }
                />
              )}
            </Field>
            <TextField
              editor={editor}
              path={['fleets', i, 'ssh', 'user']}
              label="SSH user"
              help="the probe logs in as this user (root on docker+machine VMs)"
            />
            <CheckField
              editor={editor}
              path={['fleets', i, 'ssh', 'trustOnFirstUse']}
              label="Trust new host keys"
              help="record an unknown host key on first contact; a changed key is always refused"
            />
          </>
        )}
      </EntryList>
    </Section>
  );
}

function SshHostsSection(props: { editor: Editor }) {
  const { editor } = props;
  return (
    <Section
      editor={editor}
      path={['sshHosts']}
      title="SSH hosts"
      intro="Dedicated runner hosts and runner managers, probed over SSH. Check a host's key before trusting it: compare the fingerprint with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host."
    >
      <EntryList<Settings['sshHosts'][number]>
        editor={editor}
        list="sshHosts"
        noun="SSH host"
        titleOf={(h, i) => h.alias || `host ${i + 1}`}
        blank={() => ({ alias: '', fleet: editor.draft.fleets[0]?.id ?? '' })}
      >
        {(i) => (
          <>
            <TextField
              editor={editor}
              path={['sshHosts', i, 'alias']}
              label="Alias"
              help="a Host of ~/.ssh/config, or a name for the address below"
            />
            <SelectField
              editor={editor}
              path={['sshHosts', i, 'fleet']}
              label="Fleet"
              options={fleetOptions(editor)}
            />
            <TextField editor={editor} path={['sshHosts', i, 'host']} label="Address" optional />
            <NumberField editor={editor} path={['sshHosts', i, 'port']} label="Port" />
            <TextField editor={editor} path={['sshHosts', i, 'user']} label="User" optional />
            <HostKeyPrompt editor={editor} index={i} />
          </>
        )}
      </EntryList>
    </Section>
  );
}

/** Reads the host's key and, when known_hosts does not know it, offers to trust it. */
function HostKeyPrompt(props: { editor: Editor; index: number }) {
  const entry = props.editor.draft.sshHosts[props.index];
  const read = useHostKey();
  const trust = useTrustHostKey();
  const host = entry?.host ?? entry?.alias ?? '';
  const port = entry?.port ?? 22;
  const key = trust.data ?? read.data;
  return (
    <div className="field field-action host-key" data-testid="host-key">
      <button
        type="button"
        disabled={host === '' || read.isPending || props.editor.disabled}
        onClick={() => {
          trust.reset();
          read.mutate({ host, port });
        }}
      >
        Check host key
      </button>
      {read.isError ? <span className="error-text">{read.error.message}</span> : null}
      {key ? (
        <span data-testid="host-key-result">
          {key.keyType} <code>{key.fingerprint}</code>{' '}
          {key.status === 'ok' ? (
            <span className="ok-text">known in {key.knownHostsFile}</span>
          ) : key.status === 'unknown' ? (
            <span className="warn-text">not in {key.knownHostsFile} yet</span>
          ) : (
            <span className="error-text">
              {key.status === 'changed'
                ? 'differs from the key known for this host — refused'
                : 'revoked'}
            </span>
          )}
          {key.status === 'unknown' ? (
            <button
              type="button"
              className="primary"
              disabled={trust.isPending}
              onClick={() => trust.mutate({ host, port, fingerprint: key.fingerprint })}
            >
              Trust this key
            </button>
          ) : null}
        </span>
      ) : null}
      {trust.isError ? <span className="error-text">{trust.error.message}</span> : null}
    </div>
  );
}

function IntervalsSection(props: { editor: Editor }) {
  const { editor } = props;
  return (
    <Section
      editor={editor}
      path={['probe']}
      title="Probing and intervals"
      intro="Every machine is probed over SSH (df, docker ps, load) once per interval; a value older than three intervals is shown as stale. Each GitLab instance and Hetzner project has its own interval above."
    >
      <div className="entry-fields">
        <NumberField editor={editor} path={['probe', 'intervalSec']} label="Probe every" unit="s" />
        <NumberField editor={editor} path={['probe', 'concurrency']} label="Hosts at once" />
        <TextField
          editor={editor}
          path={['stateDir']}
          label="State folder"
          help="audit log, reaper state and typed secrets live here"
        />
      </div>
    </Section>
  );
}

function NotificationsSection(props: { editor: Editor }) {
  const { editor } = props;
  return (
    <Section
      editor={editor}
      path={['notifications']}
      title="Notifications"
      intro="What the desktop app's tray notifies about. A disk warns once when it stays over its fleet's warn level for the fleet's samples in a row, and again only after it fell the re-arm points below it."
    >
      <div className="entry-fields">
        <CheckField
          editor={editor}
          path={['notifications', 'diskWarnings']}
          label="Disk warnings"
        />
        <CheckField
          editor={editor}
          path={['notifications', 'proposals']}
          label="New proposals waiting for you"
        />
        <CheckField
          editor={editor}
          path={['notifications', 'backToNormal']}
          label="Back to normal"
          help="once, when a notified problem clears; never for one you acknowledged or muted"
        />
        <NumberField
          editor={editor}
          path={['notifications', 'rearmPoints']}
          label="Re-arm after falling"
          unit="points below warn"
        />
        <NumberField
          editor={editor}
          path={['notifications', 'summaryAfter']}
          label="One summary when more than"
          unit="machines cross at once"
        />
      </div>
      <FleetNotificationRulesList editor={editor} />
    </Section>
  );
}

const SEVERITY_OPTIONS = [
  { value: 'info', text: 'everything (info and up)' },
  { value: 'warning', text: 'warnings and critical' },
  { value: 'critical', text: 'critical only' },
] as const;

/**
 * Rules per fleet, so a fleet whose disks warn all day does not bury the rare critical
 * alert: a minimum severity, its own disk level, an hourly limit, back-to-normal on or off.
 */
function FleetNotificationRulesList(props: { editor: Editor }) {
  const { editor } = props;
  const rules = editor.draft.notifications.fleets;
  const unused = editor.draft.fleets.find((f) => !rules.some((r) => r.fleet === f.id));
  const path = (i: number, field: string): Path => ['notifications', 'fleets', i, field];
  return (
    <div className="fleet-rules" data-testid="fleet-notification-rules">
      <h3>Per fleet</h3>
      {rules.length === 0 ? (
        <p className="muted small">Every fleet follows the settings above.</p>
      ) : null}
      {rules.map((rule, i) => (
        <fieldset
          key={i}
          className="entry"
          aria-label={`Notification rules of ${rule.fleet || `fleet ${i + 1}`}`}
        >
          <legend>{rule.fleet || `fleet ${i + 1}`}</legend>
          <div className="entry-fields">
            <SelectField
              editor={editor}
              path={path(i, 'fleet')}
              label="Fleet"
              options={fleetOptions(editor)}
            />
            <SelectField
              editor={editor}
              path={path(i, 'minSeverity')}
              label="Notify about"
              options={SEVERITY_OPTIONS}
              help="the rest stays in the window's alert list"
            />
            <NumberField
              editor={editor}
              path={path(i, 'diskWarnPct')}
              label="Disk notifies at"
              unit="% (empty: the fleet's warn level)"
              placeholder="fleet's"
              nullable
            />
            <NumberField
              editor={editor}
              path={path(i, 'maxPerHour')}
              label="At most"
              unit="notifications per hour (empty: no limit; critical always pass)"
              placeholder="no limit"
              nullable
            />
            <TriStateField
              editor={editor}
              path={path(i, 'backToNormal')}
              label="Back to normal"
              inherit="as above"
            />
          </div>
          <button
            type="button"
            className="entry-remove"
            disabled={editor.disabled}
            onClick={() =>
              editor.set(
                ['notifications', 'fleets'],
                rules.filter((_, k) => k !== i),
              )
            }
          >
            Remove rules of {rule.fleet || 'this fleet'}
          </button>
        </fieldset>
      ))}
      <button
        type="button"
        disabled={editor.disabled || unused === undefined}
        title={unused === undefined ? 'Every fleet has its rules already' : undefined}
        onClick={() =>
          editor.set(
            ['notifications', 'fleets'],
            [
              ...rules,
              {
                fleet: unused?.id ?? '',
                minSeverity: 'info',
                diskWarnPct: null,
                maxPerHour: null,
                backToNormal: null,
              },
            ],
          )
        }
      >
        Add rules for a fleet
      </button>
    </div>
  );
}

/** A yes / no / "as the global setting" choice, stored as true, false or null. */
function TriStateField(props: { editor: Editor; path: Path; label: string; inherit: string }) {
  const value = getAt(props.editor.draft, props.path);
  const text = value === true ? 'on' : value === false ? 'off' : 'inherit';
  return (
    <Field editor={props.editor} path={props.path} label={props.label}>
      {(id, invalid, describedBy) => (
        <select
          id={id}
          value={text}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          disabled={props.editor.disabled}
          onChange={(event) =>
            props.editor.set(
              props.path,
              event.target.value === 'on' ? true : event.target.value === 'off' ? false : null,
            )
          }
        >
          <option value="inherit">{props.inherit}</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      )}
    </Field>
  );
}

function ImportSection(props: { editor: Editor }) {
  const { editor } = props;
  const run = useImportToml();
  const [text, setText] = useState('');
  const [manager, setManager] = useState('');
  const [storeTokens, setStoreTokens] = useState(false);
  const proposal = run.data;
  const add = () => {
    if (!proposal) return;
    let next = editor.draft as unknown as Record<string, unknown>;
    for (const [list, entries] of Object.entries(proposal.settings)) {
      const current = (Array.isArray(next[list]) ? next[list] : []) as Record<string, unknown>[];
      const keyOf = (e: Record<string, unknown>) => String(e.id ?? e.alias ?? '');
      const have = new Set(current.map(keyOf));
      next = setAt(next, [list], [...current, ...entries.filter((e) => !have.has(keyOf(e)))]);
    }
    editor.set([], next);
  };
  return (
    <section className="settings-section" aria-label="Import from config.toml">
      <h2>Import from a runner’s config.toml</h2>
      <p className="small muted">
        Paste <code>/etc/gitlab-runner/config.toml</code>: its instances, docker+machine and
        fleeting settings become fleets, Hetzner projects and GitLab instances. Its tokens are not
        copied: each becomes a reference you fill in, unless you keep its Hetzner tokens in this
        host’s secret store below.
      </p>
      <label className="visually-hidden" htmlFor="toml-text">
        config.toml
      </label>
      <textarea
        id="toml-text"
        className="toml"
        rows={6}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder='concurrent = 4&#10;[[runners]]&#10;  name = "hetzner-autoscale"…'
      />
      <div className="panel-actions">
        <input
          type="text"
          aria-label="SSH alias of the runner manager"
          placeholder="SSH alias of this runner manager (optional)"
          value={manager}
          onChange={(event) => setManager(event.target.value)}
        />
        <button
          type="button"
          disabled={text.trim() === '' || run.isPending}
          onClick={() =>
            run.mutate({
              text,
              ...(manager ? { managerAlias: manager } : {}),
              ...(storeTokens ? { storeTokens: true } : {}),
            })
          }
        >
          Propose settings
        </button>
      </div>
      <label className="inline-check small">
        <input
          type="checkbox"
          checked={storeTokens}
          onChange={(event) => setStoreTokens(event.target.checked)}
        />
        Keep its Hetzner tokens in this host’s secret store (runner tokens are never kept)
      </label>
      {run.isError ? <p className="error-text">{run.error.message}</p> : null}
      {proposal ? (
        <div className="panel" data-testid="toml-proposal">
          <ul>
            {proposal.runners.map((r) => (
              <li key={r.name}>
                {r.name} ({r.executor}) → {r.fleet ?? 'not watched'}
              </li>
            ))}
          </ul>
          {proposal.notes.length > 0 ? (
            <ul className="small">
              {proposal.notes.map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          ) : null}
          <button type="button" onClick={add} disabled={editor.disabled}>
            Add to the settings above
          </button>{' '}
          <span className="small muted">nothing is saved until you press Save and apply</span>
        </div>
      ) : null}
    </section>
  );
}
