import * as prompts from '@clack/prompts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { checkName } from './names.ts';

/** The answers `outrig new` renders from (recorded in outrig.json under `template.answers`). */
export interface NewAnswers {
  /** The first service. */
  service: string;
  transport: 'postgres' | 'nats';
  registry: 'local' | 'etcd' | 'consul' | 'dns';
  /** Whether the system gets an auth service (and every other service requires its tokens). */
  auth: boolean;
}

/** What the flags said (undefined: not given). */
export type GivenAnswers = { [K in keyof NewAnswers]?: NewAnswers[K] | undefined };

/** Every question: its flag, its default (taken with --yes), and how to ask it on a terminal. */
const QUESTIONS: {
  [K in keyof NewAnswers]: {
    flag: string;
    label: string;
    default: NewAnswers[K];
    ask(): Promise<unknown>;
  };
} = {
  service: {
    flag: '--service <name>',
    label: 'the first service',
    default: 'notes-service',
    ask: () =>
      prompts.text({
        message: 'Name of the first service',
        placeholder: 'notes-service',
        defaultValue: 'notes-service',
        validate: (value) =>
          value && !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(value) ? 'lower case, digits, dashes' : undefined,
      }),
  },
  transport: {
    flag: '--transport postgres|nats',
    label: 'the event transport',
    default: 'postgres',
    ask: () =>
      prompts.select({
        message: 'Event transport',
        options: [
          { value: 'postgres', label: 'postgres', hint: 'embedded, nothing to install' },
          { value: 'nats', label: 'nats', hint: 'NATS JetStream (needs a nats-server)' },
        ],
      }),
  },
  registry: {
    flag: '--registry local|etcd|consul|dns',
    label: 'the service registry',
    default: 'local',
    ask: () =>
      prompts.select({
        message: 'Service registry',
        options: [
          { value: 'local', label: 'local', hint: 'files under .outrig, one machine' },
          { value: 'etcd', label: 'etcd' },
          { value: 'consul', label: 'consul' },
          { value: 'dns', label: 'dns', hint: 'Kubernetes DNS' },
        ],
      }),
  },
  auth: {
    flag: '--auth or --no-auth',
    label: 'whether to add an auth service',
    default: false,
    ask: () =>
      prompts.confirm({
        message: 'Add an auth service (accounts, login, JWTs; every other route then needs a token)?',
        initialValue: false,
      }),
  },
};

/**
 * Completes the answers: flags first; then `--yes` takes the defaults; else a terminal (stdin and
 * stdout TTYs, CI unset) is asked with @clack/prompts; else CLI_ANSWER_MISSING names the flag —
 * never a prompt that cannot be answered.
 */
export async function resolveAnswers(
  given: GivenAnswers,
  options: { yes: boolean; io: CliIo },
): Promise<NewAnswers> {
  const interactive = options.io.terminal === true && !options.io.env.CI;
  let asked = false;
  const answers: Record<string, unknown> = {};
  for (const key of Object.keys(QUESTIONS) as (keyof typeof QUESTIONS)[]) {
    const question = QUESTIONS[key];
    let value: unknown = given[key];
    if (value === undefined && options.yes) value = question.default;
    if (value === undefined) {
      if (!interactive)
        throw CliErrors.CLI_ANSWER_MISSING({ params: { answer: question.label, flag: question.flag } });
      if (!asked) prompts.intro('outrig new');
      asked = true;
      value = await question.ask();
      if (prompts.isCancel(value)) {
        prompts.cancel('Nothing was written.');
        throw CliErrors.CLI_CANCELLED({ params: { command: 'outrig new' } });
      }
    }
    answers[key] = value;
  }
  checkName('service', answers.service as string);
  if (answers.auth === true && answers.service === 'auth-service') {
    throw CliErrors.CLI_ANSWERS_CONFLICT({
      params: {
        reason: '--auth adds a service named auth-service: give the first service another --service name',
      },
    });
  }
  return answers as unknown as NewAnswers;
}
