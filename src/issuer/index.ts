/** The lab issuer's public API: systems, packages, request processing, states, report and storage. */
export { LabIssuer, ISSUER_ACTOR, primaryFailureCode, type LabIssuerOptions, type ProvisioningPackage, type ProxyIdentity, PROXY_KEY_ROLE, type SubmitResult, type ProgressCallback } from './issuer.js';
export { RequestVerifier, type RequestVerification, type VerificationContext } from './verify-request.js';
export { createCaHierarchy, unlockCa, issueProvisioningCertificate, issueProxyCertificate, CA_KEY_ROLES, type CaKeyRole, type CaSigner, type UnlockedCa, type KeyProtection } from './ca.js';
export { normaliseSystemSpec, defaultRoles, OID_KP_CLIENT_AUTH, OID_KP_SERVER_AUTH, type SystemSpec, type ComponentSpec, type NormalisedSystemSpec } from './system.js';
export {
  applyTransition,
  canTransition,
  currentState,
  isFinalState,
  isRequestState,
  nextStates,
  REQUEST_STATES,
  type RequestState,
  type StateTransition,
  type TransitionDetails,
} from './states.js';
export { buildProvisioningReport, reportToCsv, reportToJson, csvCell, REPORT_CSV_COLUMNS, type ProvisioningReport, type ReportRow, type ReportCertificate } from './report.js';
export {
  MemoryIssuerStore,
  SnapshotIssuerStore,
  emptyIssuerData,
  requireRequest,
  requireSystem,
  type CaRecord,
  type ComponentRecord,
  type DeviceRecord,
  type IssuedCertificateRecord,
  type IssuerData,
  type IssuerStore,
  type IssuerTransaction,
  type PackageRecord,
  type RequestRecord,
  type ProxyRecord,
  type RoleSpecRecord,
  type SystemRecord,
} from './store.js';
