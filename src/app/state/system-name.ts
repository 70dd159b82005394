import { ProvkitError } from '../../errors.js';
import { codePointName, findInvisible } from '../format.js';

/**
 * Rejects an empty system name and one with invisible control or bidirectional formatting
 * characters, which would make the name read differently from what is stored in every
 * certificate and package of the system. Throws ProvkitError('invalid-argument').
 */
export function checkSystemName(name: string): void {
  if (name.trim() === '') throw new ProvkitError('invalid-argument', 'the system name is empty; enter a name such as the product or site');
  const invisible = findInvisible(name);
  if (invisible !== undefined) {
    throw new ProvkitError('invalid-argument', `the system name contains the invisible character ${codePointName(invisible)}; type the name again without it`);
  }
}
