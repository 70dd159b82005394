/** The device side's public API: package check, request generation, profile installation and reprovisioning. */
export {
  generateProvisionRequest,
  generateProvisionRequestBatch,
  initialiseDevice,
  installCertifiedProfile,
  throwProblems,
  type Device,
  type DeviceOptions,
  type ExternalCsr,
  type GeneratedRequest,
  type InstalledProfile,
} from './device.js';
export { checkProvisioningPackage, privateKeyMatches, supportsKeyAlgorithm, type DeviceFiles, type DeviceSession, type PackageCheckResult, type PackageProblem } from './package-check.js';
export { hardwareIdUri, subjectsEqual, validateHardwareId } from './subject.js';
export { mapConcurrent } from './concurrency.js';
