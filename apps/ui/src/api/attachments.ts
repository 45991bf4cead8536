import { unwrap, type StapleClient } from "./client.js";
import type { Attachment } from "./types.js";

/**
 * Uploads one file as a multipart form (field `file`) through the generated client. The document
 * types the field as a binary string, so the file goes through a body serializer that builds the
 * FormData; fetch then sets the multipart boundary itself.
 */
export function uploadAttachment(api: StapleClient, companyId: string, issueId: string, file: File): Promise<Attachment> {
  return unwrap(
    api.POST("/api/companies/{companyId}/issues/{issueId}/attachments", {
      params: { path: { companyId, issueId } },
      body: { file: file.name },
      bodySerializer: () => {
        const form = new FormData();
        form.append("file", file, file.name);
        return form;
      },
    }),
  );
}
