-- Labels on a version: a small JSON object of names to strings, given with a PUT or PATCH
-- (`?labels=`), shown in history and filtered on by `/history?labels=`. NULL: none.
-- Re-runnable: IF NOT EXISTS.
ALTER TABLE events ADD COLUMN IF NOT EXISTS labels JSON NULL AFTER source_version;
