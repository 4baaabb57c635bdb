/**
 * Offers text as a file download from the page. Built in the renderer because the serve
 * host has no file endpoint: the data already came through the transport.
 */
export function saveTextFile(name: string, mime: string, text: string): void {
  const blob = new Blob([text], { type: mime });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
