/** Every rule `luo-abi check` runs, by ID. */
import type { Rule } from '../finding.ts';
import { compatibleBumpedWithoutChange } from './compatible-bumped-without-change.ts';
import { compatibleDowngraded } from './compatible-downgraded.ts';
import { compatibleNotLocked } from './compatible-not-locked.ts';
import { compatibleReused } from './compatible-reused.ts';
import { featureBitReused } from './feature-bit-reused.ts';
import { featureLayoutChangedWithoutBit } from './feature-layout-changed-without-bit.ts';
import { featureMasksInconsistent } from './feature-masks-inconsistent.ts';
import { featureSupportRemoved } from './feature-support-removed.ts';
import { composedCompatibleStale } from './composed-compatible-stale.ts';
import { generatedOutStale } from './generated-out-stale.ts';
import { headerMatchesNoVersion } from './header-matches-no-version.ts';
import { layoutChangedWithoutBump } from './layout-changed-without-bump.ts';
import { structUnguarded } from './struct-unguarded.ts';

export const rules: readonly Rule[] = [
  layoutChangedWithoutBump,
  compatibleReused,
  compatibleDowngraded,
  structUnguarded,
  compatibleBumpedWithoutChange,
  compatibleNotLocked,
  generatedOutStale,
  headerMatchesNoVersion,
  composedCompatibleStale,
  featureLayoutChangedWithoutBit,
  featureSupportRemoved,
  featureBitReused,
  featureMasksInconsistent,
];
