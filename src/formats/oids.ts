/**
 * Object identifiers of the provkit formats and the standard ones the CMS layer uses.
 * provkit's arc is the X.667 UUID arc of e24c7fb4-9ccf-456c-98ed-1c960f805c88, which needs
 * no registration.
 */

/** provkit's arc: 2.25 followed by the UUID e24c7fb4-9ccf-456c-98ed-1c960f805c88 as an integer. */
export const PROVKIT_ARC = '2.25.300802731784258787529098553703660543112';

/** Content type of a Provision Request manifest (the `.mcpr` a device signs). */
export const OID_CT_PROVISION_REQUEST = `${PROVKIT_ARC}.1`;
/** Content type of a proxy's outer SignedData; its content is the device's `.mcpr`. */
export const OID_CT_PROXIED_PROVISION_REQUEST = `${PROVKIT_ARC}.2`;
/** Content type of a Certified Profile to be Provisioned manifest (`.mcpp`). */
export const OID_CT_PROFILE_TO_PROVISION = `${PROVKIT_ARC}.3`;
/** Content type of a Certified Profile manifest (`.mcp`). */
export const OID_CT_CERTIFIED_PROFILE = `${PROVKIT_ARC}.4`;
/** Reserved for a signed TrustStore manifest; version 1.0 TrustStores are certs-only with id-data. */
export const OID_CT_TRUST_STORE = `${PROVKIT_ARC}.5`;

/** Extended key usage of a provisioning identity, which signs a first `.mcpr`. */
export const OID_KP_PROVISIONING_IDENTITY = `${PROVKIT_ARC}.10.1`;
/** Extended key usage of the issuer's profile signer, which signs `.mcpp` and `.mcp`. */
export const OID_KP_PROFILE_SIGNING = `${PROVKIT_ARC}.10.2`;
/** Extended key usage of a device identity, which may sign a reprovisioning `.mcpr`. */
export const OID_KP_DEVICE_IDENTITY = `${PROVKIT_ARC}.10.3`;
/** Extended key usage of a proxy, which signs the outer SignedData of a proxied `.mcpr`. */
export const OID_KP_PROXY = `${PROVKIT_ARC}.10.4`;

/** id-data (RFC 5652 section 4). */
export const OID_DATA = '1.2.840.113549.1.7.1';
/** id-signedData (RFC 5652 section 5.1). */
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
/** id-contentType signed attribute (RFC 5652 section 11.1). */
export const OID_ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
/** id-messageDigest signed attribute (RFC 5652 section 11.2). */
export const OID_ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
/** id-signingTime signed attribute (RFC 5652 section 11.3). */
export const OID_ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';
/** id-aa-CMSAlgorithmProtection signed attribute (RFC 6211). */
export const OID_ATTR_CMS_ALGORITHM_PROTECTION = '1.2.840.113549.1.9.52';

/** SHA-256 (RFC 5754). */
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
/** SHA-384 (RFC 5754). */
export const OID_SHA384 = '2.16.840.1.101.3.4.2.2';
/** SHA-512 (RFC 5754). */
export const OID_SHA512 = '2.16.840.1.101.3.4.2.3';
/** rsaEncryption, which OpenSSL writes as a CMS signatureAlgorithm for PKCS #1 v1.5 (RFC 3370 section 3.2). */
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
/** sha256WithRSAEncryption (RFC 4055). */
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** sha384WithRSAEncryption (RFC 4055). */
export const OID_SHA384_WITH_RSA = '1.2.840.113549.1.1.12';
/** sha512WithRSAEncryption (RFC 4055). */
export const OID_SHA512_WITH_RSA = '1.2.840.113549.1.1.13';
/** anyExtendedKeyUsage (RFC 5280 section 4.2.1.12). */
export const OID_ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** Human-readable names of the provkit OIDs, for messages. */
export const PROVKIT_OID_NAMES: Readonly<Record<string, string>> = {
  [OID_CT_PROVISION_REQUEST]: 'Provision Request (.mcpr)',
  [OID_CT_PROXIED_PROVISION_REQUEST]: 'Proxied Provision Request (.mcpr)',
  [OID_CT_PROFILE_TO_PROVISION]: 'Certified Profile to be Provisioned (.mcpp)',
  [OID_CT_CERTIFIED_PROFILE]: 'Certified Profile (.mcp)',
  [OID_CT_TRUST_STORE]: 'TrustStore manifest (reserved)',
  [OID_DATA]: 'id-data',
  [OID_KP_PROVISIONING_IDENTITY]: 'provkit provisioning identity',
  [OID_KP_PROFILE_SIGNING]: 'provkit profile signing',
  [OID_KP_DEVICE_IDENTITY]: 'provkit device identity',
  [OID_KP_PROXY]: 'provkit proxy',
};

/** Returns a readable name for `oid` when provkit knows one, else the dotted OID itself. */
export function describeOid(oid: string): string {
  const name = PROVKIT_OID_NAMES[oid];
  return name === undefined ? oid : `${name} [${oid}]`;
}
