import { Type, type Static } from '@sinclair/typebox';

// pos/<terminal>/feedback: what happened to a card at a till (and, with the same
// payload, on an advisor's tablet). Invalid feedback is answered on
// pos/<terminal>/errors with a FeedbackError.

export const FeedbackV1 = Type.Object(
  {
    schema: Type.Optional(Type.Literal('vitrin.feedback/1')),
    cardId: Type.String({ minLength: 1, maxLength: 64 }),
    suggestionId: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'The suggestion acted on, from the card.' })),
    action: Type.Union([Type.Literal('shown'), Type.Literal('accepted'), Type.Literal('dismissed'), Type.Literal('purchased')]),
    reason: Type.Optional(Type.String({ maxLength: 200, description: 'Why it was dismissed, in the staff member\'s words or a code.' })),
    basket: Type.Optional(
      Type.Object(
        {
          total: Type.Optional(Type.Number({ minimum: 0 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
          items: Type.Optional(
            Type.Array(
              Type.Object(
                { sku: Type.String({ minLength: 1, maxLength: 64 }), quantity: Type.Integer({ minimum: 1, maximum: 10_000 }), price: Type.Optional(Type.Number({ minimum: 0 })) },
                { additionalProperties: false },
              ),
              { maxItems: 200 },
            ),
          ),
        },
        { additionalProperties: false, description: 'With purchased: what was bought, so the purchase joins the recommendation.' },
      ),
    ),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened at the till; default: when received.' })),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/feedback.v1.json' },
);

export type Feedback = Static<typeof FeedbackV1>;

export const FeedbackErrorV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.feedback-error/1'),
    code: Type.String(),
    message: Type.String(),
    problems: Type.Optional(Type.Array(Type.String())),
    cardId: Type.Optional(Type.String()),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/feedback-error.v1.json' },
);

export type FeedbackError = Static<typeof FeedbackErrorV1>;
