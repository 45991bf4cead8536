import type { Question } from "@staple/contracts";
import { useState, type FormEvent } from "react";
import type { Interaction } from "../../api/types.js";
import { questionsPayload, resultOf } from "../../lib/interactions.js";
import { Markdown } from "../lazy-markdown.js";
import { ErrorNote } from "../ui.js";
import { RawPayload } from "./parts.js";
import { useInteractionAction } from "./use-interaction-action.js";

type Answer = { optionIds: string[]; otherText: string };

/** ask_user_questions: a small form (radio for single choice, checkboxes for multi, "Other" where allowed). */
export function QuestionsBody({ interaction }: { interaction: Interaction }) {
  const p = questionsPayload(interaction);
  const action = useInteractionAction(interaction);
  const [answers, setAnswers] = useState<Record<string, Answer>>({});
  if (!p) return <RawPayload interaction={interaction} />;
  const pending = interaction.status === "pending";
  if (!pending) return <AnsweredQuestions interaction={interaction} questions={p.questions} />;

  const get = (q: Question): Answer => answers[q.id] ?? { optionIds: [], otherText: "" };
  const set = (q: Question, next: Answer) => setAnswers((a) => ({ ...a, [q.id]: next }));
  const unanswered = p.questions.filter((q) => q.required && get(q).optionIds.length === 0 && !get(q).otherText.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    action.mutate({
      type: "respond",
      body: {
        answers: p.questions
          .map((q) => ({
            questionId: q.id,
            optionIds: get(q).optionIds,
            ...(get(q).otherText.trim() ? { otherText: get(q).otherText.trim() } : {}),
          }))
          .filter((a) => a.optionIds.length > 0 || a.otherText),
      },
    });
  };
  return (
    <form onSubmit={submit} aria-label={p.title ?? "Questions"}>
      {p.title ? <p className="interaction-prompt">{p.title}</p> : null}
      {p.questions.map((q) => {
        const answer = get(q);
        return (
          <fieldset key={q.id} className="interaction-options" disabled={action.isPending}>
            <legend>
              {q.prompt}
              {q.required ? <span className="muted small"> (required)</span> : null}
            </legend>
            {q.helpText ? <p className="muted small">{q.helpText}</p> : null}
            {q.options.map((o) => (
              <label key={o.id} className="check-option">
                <input
                  type={q.selectionMode === "single" ? "radio" : "checkbox"}
                  name={`${interaction.id}-${q.id}`}
                  checked={answer.optionIds.includes(o.id)}
                  onChange={(e) =>
                    set(q, {
                      ...answer,
                      optionIds:
                        q.selectionMode === "single"
                          ? [o.id]
                          : e.target.checked
                            ? [...answer.optionIds, o.id]
                            : answer.optionIds.filter((x) => x !== o.id),
                    })
                  }
                />
                <span>
                  {o.label}
                  {o.description ? <span className="muted small"> — {o.description}</span> : null}
                </span>
              </label>
            ))}
            {q.allowOther || q.options.some((o) => o.freeText) ? (
              <input
                aria-label={`Other answer to: ${q.prompt}`}
                placeholder="Other (write your own)"
                value={answer.otherText}
                onChange={(e) => set(q, { ...answer, otherText: e.target.value })}
              />
            ) : null}
          </fieldset>
        );
      })}
      <ErrorNote error={action.error} />
      <div className="row">
        <button type="submit" disabled={action.isPending || unanswered.length > 0}>
          {action.isPending ? "Sending…" : (p.submitLabel ?? "Send answers")}
        </button>
        {unanswered.length ? <span className="muted small">Answer the required questions first.</span> : null}
      </div>
    </form>
  );
}

function AnsweredQuestions({ interaction, questions }: { interaction: Interaction; questions: Question[] }) {
  const result = resultOf(interaction);
  const byQuestion = new Map((result.answers ?? []).map((a) => [a.questionId, a]));
  return (
    <>
      <dl className="kv answers">
        {questions.map((q) => {
          const a = byQuestion.get(q.id);
          const labels = (a?.optionIds ?? []).map((id) => q.options.find((o) => o.id === id)?.label ?? id);
          if (a?.otherText) labels.push(a.otherText);
          return (
            <div key={q.id} className="kv-row">
              <dt>{q.prompt}</dt>
              <dd>{labels.length ? labels.join(", ") : <span className="muted">no answer</span>}</dd>
            </div>
          );
        })}
      </dl>
      {result.summaryMarkdown ? <Markdown source={result.summaryMarkdown} /> : null}
    </>
  );
}
