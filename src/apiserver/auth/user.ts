/**
 * Who made a request (authentication's user.Info). skiff authenticates but does not authorize: every
 * authenticated user, service accounts included, may do everything (as with RBAC's system:masters).
 */

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The admin token's user (k3s' admin kubeconfig: system:admin in system:masters). */
export const adminUser: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

/** POST selfsubjectreviews (authentication.k8s.io/v1): the caller's own user info. */
export function selfSubjectReview(user: UserInfo): Record<string, unknown> {
  const userInfo: Record<string, unknown> = { username: user.username };
  if (user.uid) userInfo.uid = user.uid;
  userInfo.groups = user.groups;
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo } };
}
