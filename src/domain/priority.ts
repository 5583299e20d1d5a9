import { PRIORITIES, type Policy, type Priority } from '../config/config.schema.js';
import type { Level } from './incident.js';

/** SPEC §4: priority = impact × urgency, read from the policy's matrix. */
export function matrixPriority(policy: Policy, impact: Level, urgency: Level): Priority {
  const priority = policy.priorityMatrix[urgency - 1]?.[impact - 1];
  if (!priority) throw new Error(`priority matrix has no cell for urgency ${urgency}, impact ${impact}`);
  return priority;
}

/** Lower number = more urgent; P1 is the highest. */
export function higherOf(a: Priority, b: Priority): Priority {
  return PRIORITIES.indexOf(a) <= PRIORITIES.indexOf(b) ? a : b;
}

export function isHigher(a: Priority, than: Priority): boolean {
  return PRIORITIES.indexOf(a) < PRIORITIES.indexOf(than);
}

export interface PriorityInputs {
  impact: Level;
  urgency: Level;
  categoryId?: string;
  reporterVip: boolean;
}

export interface PriorityOutcome {
  priority: Priority;
  major: boolean;
  /** Why the result differs from the plain matrix cell, for the priority log. */
  reasons: string[];
}

/** The automatic rules at report time: matrix, forced-major categories, VIP upgrade. */
export function initialPriority(policy: Policy, inputs: PriorityInputs): PriorityOutcome {
  let priority = matrixPriority(policy, inputs.impact, inputs.urgency);
  const reasons: string[] = [];
  const category = policy.categories.find((c) => c.id === inputs.categoryId);
  if (category?.major && priority !== policy.majorPriority) {
    priority = policy.majorPriority;
    reasons.push(`major_category:${category.id}`);
  }
  if (inputs.reporterVip && isHigher(policy.upgrades.vipMinimum, priority)) {
    priority = policy.upgrades.vipMinimum;
    reasons.push('vip_reporter');
  }
  return { priority, major: priority === policy.majorPriority || Boolean(category?.major), reasons };
}
