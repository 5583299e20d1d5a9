import type { Contact } from './incident.js';
import { UserError } from './errors.js';

/** What a person may type as an e-mail address: one @, a dot in the domain, no spaces; at most 254 characters (RFC 5321). */
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:.]{2,}$/;
/** A phone number as people write it: digits with +, spaces, dashes, dots and brackets. */
const PHONE = /^\+?[\d\s().-]+$/;

export interface ContactInput {
  name?: string;
  phone?: string;
  email?: string;
}

/**
 * The outside contact a first-line agent logs a report for, checked: a name, and a phone number
 * or an e-mail address that could be real (each refusal names the field and what is wrong).
 * Undefined when nothing about a contact was given.
 */
export function checkContact(input: ContactInput): Contact | undefined {
  const name = input.name?.trim() ?? '';
  const phone = input.phone?.trim() ?? '';
  const email = input.email?.trim() ?? '';
  if (!name && !phone && !email) return undefined;
  if (!name) throw new UserError('contact_name_required');
  if (name.length > 100) throw new UserError('too_long', { field: 'contactName', max: 100 });
  if (!phone && !email) throw new UserError('contact_unreachable', { name });
  if (email && (email.length > 254 || !EMAIL.test(email))) throw new UserError('bad_email', { email: email.slice(0, 80) });
  const digits = phone.replace(/\D/g, '');
  if (phone && (!PHONE.test(phone) || digits.length < 5 || digits.length > 20)) throw new UserError('bad_phone', { phone: phone.slice(0, 40) });
  return { name, ...(phone ? { phone } : {}), ...(email ? { email: email.toLowerCase() } : {}) };
}

/** The reporter id an outside contact is known by: their e-mail, else their phone's digits. */
export function contactReporterId(contact: Contact): string {
  return `contact:${contact.email ?? contact.phone?.replace(/[^\d+]/g, '') ?? contact.name}`;
}

/** True for the reporter id of an outside contact. */
export function isContactId(id: string): boolean {
  return id.startsWith('contact:');
}
