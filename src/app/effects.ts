import { isUserError } from '../domain/errors.js';
import { ACTIVE_STATUSES, type Status } from '../domain/incident.js';
import { catalog } from '../i18n/index.js';
import { SYSTEM_ACTOR } from '../domain/directory.js';
import { symptomWords, type CommittedChange, type IncidentService } from './incident-service.js';
import type { Problems } from './problems.js';
import { getsReview } from '../domain/major.js';
import { Presenter } from './presenter.js';
import { reviewDocument } from './review-doc.js';

/**
 * Work that follows from a committed event (SPEC §10, §11). Each step carries an idempotency key
 * derived from the event, so a replay after a crash does nothing twice.
 */
export async function runEffects(service: IncidentService, { incident, event }: CommittedChange, problems: Problems): Promise<void> {
  if (event.action === 'resolve') await resolveDuplicates(service, incident.id, event.seq, incident.resolutionCode, incident.solution);
  if (event.action === 'close' && event.flags.includes('reopen_as_new')) await reopenAsNew(service, incident.id);
  // "Successful with problem" raises a problem record (SPEC §11); so does the end of a major
  // incident (§12), or it links the one already raised. Keyed, so a replay raises one.
  const majorClosed = event.to === 'closed' && event.from !== 'closed' && getsReview(incident, service.config.policy);
  if (event.flags.includes('raise_problem')) await problems.raiseFrom(incident, 'closure', SYSTEM_ACTOR, { key: `closure:${incident.id}` });
  else if (majorClosed) await problems.raiseFrom(incident, 'major', SYSTEM_ACTOR, { key: `major:${incident.id}` });
  if (majorClosed) await writeReview(service, incident.id);
}

/** The post-incident review of a major incident that closed (SPEC §12), in the organisation's language, once. */
export async function writeReview(service: IncidentService, id: string): Promise<void> {
  const incident = await service.get(id);
  const locale = service.config.organisation.locale;
  const presenter = new Presenter(service.config, service.directory, catalog(locale), locale);
  const events = await service.timeline(id);
  const markdown = reviewDocument(incident, events, await service.notes.of(id), presenter, catalog(locale));
  await ignoreRefusal(service.systemAct(id, 'review-doc', { markdown }, `review-doc:${id}`));
}

async function resolveDuplicates(service: IncidentService, masterId: string, seq: number, code?: string, solution?: string): Promise<void> {
  const duplicates = await service.list({ masterId, statuses: ACTIVE_STATUSES });
  // Kept on the record: the organisation's language.
  const m = catalog(service.config.organisation.locale);
  for (const duplicate of duplicates) {
    await ignoreRefusal(
      service.systemAct(duplicate.id, 'resolve', {
        resolutionCode: code,
        solution: m.notify.resolvedWithMaster({ id: masterId, solution: solution ?? '' }).trim(),
      }, `cascade:${masterId}:${seq}:${duplicate.id}`),
    );
  }
}

/**
 * Keeps each CI's open set (possible duplicates, SPEC §10) in step with the incident: out when it
 * is resolved, closed, withdrawn or linked to a master, back in when re-opened. Runs after the
 * commit, so the sweep repeats it after a crash. An incident moved to another CI joins the new
 * one; its entry in the old one stays until it leaves the active states (it may be proposed there
 * meanwhile; marking a duplicate is a person's decision either way).
 */
export async function keepCiOpenSet(service: IncidentService, { incident, event }: CommittedChange): Promise<void> {
  if (event.action === 'report' || !incident.ci) return;
  const wasActive = event.from !== undefined && ACTIVE_STATUSES.includes(event.from as Status);
  const isOpen = ACTIVE_STATUSES.includes(incident.status) && !incident.links.masterId;
  const touched = 'ci' in event.changes || 'links' in event.changes || (event.to !== undefined && wasActive !== ACTIVE_STATUSES.includes(event.to as Status));
  if (!touched) return;
  const store = service.deps.store;
  if (isOpen) await store.enterCi(incident.ci, incident.id, incident.createdAt, symptomWords(incident));
  else await store.leaveCi(incident.ci, incident.id);
}

/** "Not completed" re-opens as a new incident to the same handler (SPEC §11). */
async function reopenAsNew(service: IncidentService, originalId: string): Promise<void> {
  const original = await service.get(originalId);
  const { incident: followUp } = await service.report(
    { id: original.reporterId, name: original.reporterName },
    {
      title: original.title,
      description: original.description,
      impact: original.impact,
      urgency: original.urgency,
      category: original.category,
      subcategory: original.subcategory,
      subarea: original.subarea,
      service: original.service,
      ci: original.ci,
      location: original.location,
      source: original.source,
      reporterId: service.directory.person(original.reporterId) ? original.reporterId : undefined,
      // An outside contact stays the reporter of the follow-up, reached by e-mail as before.
      ...(original.contact ? { contact: original.contact } : {}),
      followUpOf: original.id,
    },
    `follow-up:${original.id}`,
  );
  const groupId = original.groupId;
  if (!groupId || followUp.status !== 'open') return;
  const assigneeId = original.ownerId && service.directory.isMember(original.ownerId, groupId) ? original.ownerId : undefined;
  await ignoreRefusal(service.systemAct(followUp.id, 'dispatch', { groupId, assigneeId }, `follow-up-dispatch:${original.id}`));
}

/** A cascade step refused because someone got there first is not a failure. */
export async function ignoreRefusal(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    // "Busy" is not a refusal: the same keyed change is still running (or its process stopped).
    // Thrown, the after-commit work stays pending and the sweep does it again later.
    if (!isUserError(error) || error.code === 'busy') throw error;
  }
}
