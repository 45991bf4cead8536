import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type DragEvent } from "react";
import { uploadAttachment } from "../api/attachments.js";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { Attachment, IssueDetail } from "../api/types.js";
import { formatBytes, isPreviewableImage } from "../lib/attachments.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { queryKeys } from "../lib/query-keys.js";
import { useConfirm } from "../lib/use-confirm.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { QueryState } from "./query-state.js";
import { ErrorNote, Section } from "./ui.js";

/**
 * Files of the issue: upload (file picker, or drop files on the section), list with type and size,
 * download, thumbnails for the image types the server serves inline, delete with confirmation.
 */
export function AttachmentsSection({ issue }: { issue: IssueDetail }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const list = useQuery(queries.issueAttachments(api, issue.id));
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.issue(issue.id) });
  const upload = useMutation({
    // One at a time: each file is its own request, and the first failure stops the rest.
    mutationFn: async (files: File[]) => {
      for (const file of files) await uploadAttachment(api, issue.companyId, issue.id, file);
    },
    onSettled: () => {
      if (input.current) input.current.value = "";
      return refresh();
    },
  });
  const remove = useConfirm(async (id: string) => {
    await unwrap(api.DELETE("/api/attachments/{attachmentId}", { params: { path: { attachmentId: id } } }));
    await refresh();
  });
  const start = (files: FileList | null) => {
    if (files?.length) upload.mutate([...files]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    start(e.dataTransfer.files);
  };
  const doomed = list.data?.find((a) => a.id === remove.subject);
  return (
    <Section title={`Attachments${list.data ? ` (${list.data.length})` : ""}`}>
      <div
        className={`drop-zone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={inputId}>Upload files</label>
        <input id={inputId} ref={input} type="file" multiple disabled={upload.isPending} onChange={(e) => start(e.target.files)} />
        <span className="muted small">{upload.isPending ? "Uploading…" : "or drop files here"}</span>
      </div>
      <ErrorNote error={upload.error} />
      <QueryState query={list} empty="No attachments.">
        {(items) => (
          <ul className="plain attachments" aria-label="Attachments">
            {items.map((a) => (
              <AttachmentRow key={a.id} attachment={a} onDelete={() => remove.ask(a.id)} />
            ))}
          </ul>
        )}
      </QueryState>
      <ConfirmDialog
        open={remove.open}
        title="Delete the attachment?"
        confirmLabel="Delete"
        busyLabel="Deleting…"
        danger
        busy={remove.busy}
        error={remove.error}
        onCancel={remove.cancel}
        onConfirm={() => void remove.confirm()}
      >
        <p>{doomed?.originalFilename ?? "This file"} will be removed from the issue for everyone, agents included.</p>
      </ConfirmDialog>
    </Section>
  );
}

function AttachmentRow({ attachment: a, onDelete }: { attachment: Attachment; onDelete: () => void }) {
  const { agentName } = useCompany();
  const name = a.originalFilename ?? `attachment-${a.id.slice(0, 8)}`;
  const by = a.createdByAgentId ? agentName(a.createdByAgentId) : a.createdByUserId ? "Board" : "System";
  return (
    <li className="attachment" data-attachment-id={a.id}>
      {isPreviewableImage(a.contentType) ? (
        <a href={a.contentPath} target="_blank" rel="noreferrer noopener" className="thumb">
          <img src={a.contentPath} alt={`Preview of ${name}`} loading="lazy" />
        </a>
      ) : (
        <span className="thumb file-icon" aria-hidden="true">
          {(name.split(".").pop() ?? "file").slice(0, 4).toUpperCase()}
        </span>
      )}
      <span className="attachment-meta">
        <a href={a.contentPath} download={name} className="attachment-name">
          {name}
        </a>
        <span className="muted small">
          {a.contentType} · {formatBytes(a.byteSize)} · {by} ·{" "}
          <time dateTime={a.createdAt} title={formatTime(a.createdAt)}>
            {relativeTime(a.createdAt)}
          </time>
        </span>
      </span>
      <button type="button" className="secondary small" aria-label={`Delete ${name}`} onClick={onDelete}>
        Delete
      </button>
    </li>
  );
}
