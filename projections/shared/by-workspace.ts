/** The contact ids of `contacts`, workspace by workspace: a batch is read back by primary key. */
export function contactIdsByWorkspace(
  contacts: Iterable<{ readonly workspaceId: string; readonly contactId: string }>,
): Map<string, string[]> {
  const idsByWorkspace = new Map<string, string[]>();
  for (const { workspaceId, contactId } of contacts) {
    const ids = idsByWorkspace.get(workspaceId);
    if (ids) ids.push(contactId);
    else idsByWorkspace.set(workspaceId, [contactId]);
  }
  return idsByWorkspace;
}
