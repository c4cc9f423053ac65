import { CliErrors } from '../errors.ts';

/** A name the generators accept: lower case, digits and dashes, starting with a letter. */
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Checks a service, system or resource name; CLI_NAME_INVALID naming `what` otherwise. */
export function checkName(what: string, name: string): string {
  if (!KEBAB.test(name) || name.length > 50) {
    throw CliErrors.CLI_NAME_INVALID({ params: { what, name } });
  }
  return name;
}

/** Every spelling of a resource name the templates need. */
export interface ResourceNames {
  /** `line-item` */
  readonly kebab: string;
  /** `line-items` (URL segment, file names) */
  readonly plural: string;
  /** `LineItem` (types, event names) */
  readonly pascal: string;
  /** `LineItems` */
  readonly pascalPlural: string;
  /** `lineItem` */
  readonly camel: string;
  /** `lineItems` (storage key) */
  readonly camelPlural: string;
  /** `LINE_ITEM` (error codes) */
  readonly constant: string;
  /** `line_items` (table) */
  readonly table: string;
  /** `line item` (prose) */
  readonly words: string;
  /** `line items` */
  readonly wordsPlural: string;
}

/** The spellings of resource `name` (kebab case) with its `plural` (default `<name>s`). */
export function resourceNames(name: string, plural = `${name}s`): ResourceNames {
  checkName('resource', name);
  checkName('plural', plural);
  if (plural === name) throw CliErrors.CLI_NAME_INVALID({ params: { what: 'plural', name: plural } });
  const pascal = pascalCase(name);
  return {
    kebab: name,
    plural,
    pascal,
    pascalPlural: pascalCase(plural),
    camel: camelCase(name),
    camelPlural: camelCase(plural),
    constant: name.toUpperCase().replace(/-/g, '_'),
    table: plural.replace(/-/g, '_'),
    words: name.replace(/-/g, ' '),
    wordsPlural: plural.replace(/-/g, ' '),
  };
}

/** `notes-service` → `NotesService` */
export function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** `notes-service` → `notesService` */
export function camelCase(kebab: string): string {
  const pascal = pascalCase(kebab);
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

/**
 * The first resource of a new service: `orders-service` → `order`, `billing` → `billing`.
 */
export function defaultResourceOf(service: string): string {
  const base = service.replace(/-service$/, '') || service;
  return base.length > 1 && base.endsWith('s') && !base.endsWith('ss') ? base.slice(0, -1) : base;
}
