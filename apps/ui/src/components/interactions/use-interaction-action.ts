import type { operations } from "@staple/api-client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { unwrap } from "../../api/client.js";
import { useApi } from "../../api/context.js";
import type { Interaction } from "../../api/types.js";
import { queryKeys } from "../../lib/query-keys.js";

type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
export type InteractionAction =
  | { type: "accept"; body: Body<operations["postApiIssuesIdInteractionsInteractionIdAccept"]> }
  | { type: "reject"; body: Body<operations["postApiIssuesIdInteractionsInteractionIdReject"]> }
  | { type: "respond"; body: Body<operations["postApiIssuesIdInteractionsInteractionIdRespond"]> }
  | { type: "verdicts"; body: Body<operations["postApiIssuesIdInteractionsInteractionIdVerdicts"]> }
  | { type: "cancel"; body: Body<operations["postApiIssuesIdInteractionsInteractionIdCancel"]> };

/**
 * The board's answer to one card. Afterwards the issue's cards, the issue page (accepted tasks
 * become sub-issues) and the issue's own family (comments, activity) are refreshed; the live feed
 * would refresh them too, but the person who clicked should not wait for it.
 */
export function useInteractionAction(interaction: Interaction) {
  const api = useApi();
  const queryClient = useQueryClient();
  const params = { params: { path: { id: interaction.issueId, interactionId: interaction.id } } };
  return useMutation({
    mutationFn: (action: InteractionAction) => {
      switch (action.type) {
        case "accept":
          return unwrap(api.POST("/api/issues/{id}/interactions/{interactionId}/accept", { ...params, body: action.body }));
        case "reject":
          return unwrap(api.POST("/api/issues/{id}/interactions/{interactionId}/reject", { ...params, body: action.body }));
        case "respond":
          return unwrap(api.POST("/api/issues/{id}/interactions/{interactionId}/respond", { ...params, body: action.body }));
        case "verdicts":
          return unwrap(api.POST("/api/issues/{id}/interactions/{interactionId}/verdicts", { ...params, body: action.body }));
        case "cancel":
          return unwrap(api.POST("/api/issues/{id}/interactions/{interactionId}/cancel", { ...params, body: action.body }));
      }
    },
    onSettled: () =>
      Promise.all(
        [queryKeys.issue(interaction.issueId), queryKeys.issuePages(), queryKeys.company(interaction.companyId)].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      ),
  });
}
