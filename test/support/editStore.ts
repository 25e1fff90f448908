import { Level } from "level";

/** Opens a closed LevelDB store directly and edits it, as corruption or a hand in the store would. */
export async function editStore(
  path: string,
  edit: (db: Level<string, string>) => Promise<void>,
): Promise<void> {
  const db = new Level<string, string>(path, { keyEncoding: "utf8", valueEncoding: "utf8" });
  await db.open();
  try {
    await edit(db);
  } finally {
    await db.close();
  }
}
