// `gravity users add|reset|ls`: invite a user to the Control Panel, make a password reset link, list
// the users, as Gravity's commands of the same names (and the same sentences). They work on the store
// in the state dir directly, so they work while the agent is down too; WAL mode lets them share the
// file with a running agent. Everything a user can get wrong is checked before anything is written.

import { isIPv6 } from 'node:net';
import { Command, Option } from 'commander';
import { panelBaseUrl, userLinkUrl } from '../auth/links.ts';
import { parseEmail, parseRoleList } from '../auth/identity.ts';
import { formatGoDuration, parseTokenTtl } from '../auth/tokens.ts';
import type { IssuedToken, UserListing } from '../auth/users.ts';
import { createUserService } from '../auth/users.ts';
import { systemClock } from '../clock.ts';
import { loadConfig } from '../config/load.ts';
import type { GravityConfig } from '../config/types.ts';
import { GravityError } from '../errors.ts';
import { openStore, openStoreReadOnly } from '../store/index.ts';
import type { UserTokenKind } from '../store/types.ts';
import { ensureStateDir } from '../supervisor/state-dir.ts';
import { tabwrite } from './format-status.ts';
import type { CliOutput } from './program.ts';
import { globalOptions, processOutput } from './program.ts';
import { terminalLine } from './terminal-text.ts';

export type UsersFormat = 'text' | 'json';

interface LinkOptions {
  roles?: string;
  ttl?: string;
  host?: string;
  format: UsersFormat;
}

interface ListOptions {
  format: UsersFormat;
}

/** What `users add` and `users reset` print with `--format json`. */
export interface UserLinkJson {
  email: string;
  kind: UserTokenKind;
  roles: string[];
  url: string;
  /** Epoch ms. */
  expiresAt: number;
  /** As Go prints it, e.g. `1h0m0s`. */
  ttl: string;
}

function loadUsersConfig(command: Command): GravityConfig {
  const globals = globalOptions(command);
  return loadConfig({
    configPath: globals.config,
    explicit: globals.configGiven,
    ...(globals.stateDirGiven ? { stateDirFlag: globals.stateDir } : {}),
  });
}

function checkHost(host: string): string {
  const trimmed = host.trim();
  const bare = trimmed.replace(/^\[(.*)\]$/u, '$1');
  // A colon is only for an IPv6 address: a port here would end up twice in the URL.
  if (trimmed === '' || /[\s/?#@]/u.test(trimmed) || (bare.includes(':') && !isIPv6(bare))) {
    throw new GravityError('E_USAGE', `--host must be a host name or IP address users can reach, got ${JSON.stringify(host)}`, {
      hint: 'give the address only, without https:// or a port: the port is the panel port of the config',
    });
  }
  return trimmed;
}

/** The sentences Gravity prints, the "hours" after the signup TTL included. */
export function formatUserLink(link: UserLinkJson, reachable: string, format: UsersFormat): string {
  if (format === 'json') return `${JSON.stringify(link, null, 2)}\n`;
  if (link.kind === 'signup') {
    return `Signup token has been created and is valid for ${link.ttl} hours. Share this URL with the user:\n${link.url}\n\nMake sure that ${reachable} is accessible to the invited user.\n`;
  }
  return `Password reset token has been created and is valid for ${link.ttl}. Share this URL with the user:\n${link.url}\n\nMake sure that ${reachable} is accessible to the user.\n`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/u, 'Z');
}

/** `gravity users ls`: a table (Email, Roles, Created, Status) or JSON. */
export function formatUserList(users: readonly UserListing[], format: UsersFormat): string {
  if (format === 'json') return `${JSON.stringify({ users }, null, 2)}\n`;
  if (users.length === 0) return "No users yet. Invite one with 'gravity users add EMAIL --roles=@teleadmin'.\n";
  const rows = users.map((user) =>
    [
      terminalLine(user.email),
      terminalLine(user.roles.join(',')),
      isoSeconds(user.created),
      user.status === 'active' ? 'active' : `pending (invite expires ${isoSeconds(user.inviteExpiresAt ?? user.created)})`,
    ].join('\t'),
  );
  return `${tabwrite(['Email\tRoles\tCreated\tStatus', ...rows], 3).join('\n')}\n`;
}

/** Makes a signup or reset link on the state dir's store and prints it. */
async function makeLink(command: Command, output: CliOutput, kind: UserTokenKind, emailText: string, options: LinkOptions): Promise<void> {
  // Everything the user typed is checked before the store is opened: a mistake writes nothing.
  const email = parseEmail(emailText);
  const roles = kind === 'signup' ? parseRoleList(options.roles ?? '') : [];
  parseTokenTtl(kind, options.ttl);
  const host = options.host === undefined ? undefined : checkHost(options.host);
  const config = loadUsersConfig(command);
  ensureStateDir(config.stateDir);
  const store = openStore(config);
  let issued: IssuedToken;
  try {
    const service = createUserService({ users: store.users, clock: systemClock });
    issued = kind === 'signup' ? await service.invite(email, roles, options.ttl) : await service.issueReset(email, options.ttl);
  } finally {
    await store.close();
  }
  const base = panelBaseUrl(host ?? config.node.advertiseAddr, config.panel.port);
  const link: UserLinkJson = {
    email: issued.email,
    kind,
    roles: issued.roles,
    url: userLinkUrl(base, kind, issued.token),
    expiresAt: issued.expiresAt,
    ttl: formatGoDuration(issued.ttlMs),
  };
  output.out(formatUserLink(link, base.replace(/^https:\/\//u, ''), options.format));
  if (!config.panel.enabled) {
    output.err(`warning: the Control Panel is disabled (panel.enabled: false in ${config.source ?? 'the config'}): the link works once it is enabled\n`);
  }
}

const formatOption = (): Option => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
const hostOption = (): Option =>
  new Option('--host <host>', "the host name or IP address in the URL (default: the config's node.advertiseAddr)");

/**
 * @example program.addCommand(makeUsersCommand()); // gravity users add alice@example.com --roles=@teleadmin --ttl=1h
 */
export function makeUsersCommand(output: CliOutput = processOutput): Command {
  const users = new Command('users').description('manage the Control Panel users: invite, reset a password, list');

  users
    .command('add')
    .description('invite a user: print a signup URL they open to choose a password (valid 8h by default, at most 48h)')
    .argument('<email>', "the user's email, which they sign in with")
    .addOption(new Option('--roles <roles>', 'comma-separated roles; @teleadmin may change things, any other role only look').makeOptionMandatory())
    .addOption(new Option('--ttl <duration>', 'how long the signup URL works, e.g. 30m, 1h, 1h30m (default 8h, at most 48h)'))
    .addOption(hostOption())
    .addOption(formatOption())
    .addHelpText('after', '\nExample:\n  $ gravity users add alice@example.com --roles=@teleadmin --ttl=1h\n')
    .action((email: string, options: LinkOptions, command: Command) => makeLink(command, output, 'signup', email, options));

  users
    .command('reset')
    .description("make a password reset URL for an existing user (valid 8h by default, at most 24h); it ends the user's sessions when used")
    .argument('<email>', "the user's email")
    .addOption(new Option('--ttl <duration>', 'how long the reset URL works, e.g. 30m, 1h (default 8h, at most 24h)'))
    .addOption(hostOption())
    .addOption(formatOption())
    .addHelpText('after', '\nExample:\n  $ gravity users reset alice@example.com --ttl=1h\n')
    .action((email: string, options: LinkOptions, command: Command) => makeLink(command, output, 'reset', email, options));

  users
    .command('ls')
    .description('list the users and the invited users who have not signed up yet')
    .addOption(formatOption())
    .action(async (options: ListOptions, command: Command) => {
      const config = loadUsersConfig(command);
      const store = openStoreReadOnly(config);
      try {
        output.out(formatUserList(await createUserService({ users: store.users, clock: systemClock }).list(), options.format));
      } finally {
        await store.close();
      }
    });

  return users;
}
