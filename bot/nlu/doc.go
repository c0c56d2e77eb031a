// Package nlu understands debtor messages: it maps a WhatsApp text to one
// contract intent (contract §3), a confidence in 0..1 and the entities
// date, amount_cents, installments, option and topic.
//
// It is deterministic, offline and data-driven. Everything language-specific
// (abbreviations, concept lexicons, rules, negation cues, number words,
// weekday and month names, date/amount/installment/option patterns) lives
// in locales/nlu/<locale>[.<part>].nlu, parsed by package locales; this package
// compiles it once in New and classifies without regular expressions.
//
// How a message is read:
//
//  1. Fold: lower case, accents off, repeated letters collapsed ("Nãooo"
//     → "nao", "simmm" → "sim"), emoji kept as words (👍, 🙏), numbers and
//     d/m dates read with their separators.
//  2. Rewrite abbreviations (vc, pq, hj, n, ñ, blz, obg, vlw …).
//  3. Match the lexicon: phrases first (longest wins), then words, then word
//     beginnings ("parcel*"); a word the data lacks gets its ending rewritten
//     ("parcelinha" → "parcela", "quitadu" → "quitado"; before phrases are
//     matched when that yields a known word, so "tá pagu" is "tá pago") or, from five
//     letters on, is matched to a lexicon word one typo away ("boletu",
//     "parselar"). Common words listed in the data are never "corrected".
//  4. Negation: a cue ("não", "nunca", "sem") negates the next three words
//     of its clause; clauses end at punctuation and at words like "mas" or
//     "porque"; "recebi nada" and a clause-final "paguei não" negate the word
//     before. Rules can ask for a concept negated (~RECEIVE: "não recebi
//     o boleto") or un-negated (PAID: "já paguei"), so "não paguei ainda"
//     is negative while "ainda não paguei mas pago amanhã" is a promise.
//     A negation word after a NONEG phrase that holds one only agrees with
//     it ("não faz sentido nenhum" negates nothing).
//  5. Entities, then rules: each rule is a conjunction of concept and
//     entity tests with a weight. Among intents with a strong rule (weight
//     ≥ 0.75) the contract's precedence picks the winner; inside one rank
//     (the concrete asks, yes/no, greeting/thanks) the stronger rule wins,
//     then the contract's listed order. Without a strong rule the
//     strongest weak cue wins; without any, unknown.
//  6. Topic: [topic NAME] rules, in the same terms as intent rules but
//     without weight, name a finer distinction the flows act on
//     (bot.Entities.Topic). One topic per message: of the topics whose
//     rule holds, the first in this precedence wins:
//     deceased > third_party > self > who_is_writing > opt_in >
//     plan_cancel > installment. A death outranks who is telling it
//     ("aqui é a filha dela, ela faleceu"); someone answering for the
//     holder outranks a "sou a …" in their words; an identity answer
//     outranks the question that may come with it ("sou eu, quem
//     fala?"); the requests about messages and plans come last, and a
//     plan outranks one of its installments. The topic does not change
//     the intent; the intent rules read the same words separately
//     ("sou eu sim" is affirmative with topic self, "ela faleceu"
//     wrong_person with topic deceased, "qual o CNPJ?" unknown with
//     topic who_is_writing). A bare option ("1") or placeholder carries
//     no topic.
//
// Choices the contract leaves open:
//   - A message that is only "1" is affirmative and only "2" negative;
//     any bare number also sets option. A button id ("pay_now",
//     "menu:pay_now") sets option and, when it names an intent, that intent.
//   - "dia 10" is the next 10th not in the past; a weekday is the next one
//     after today; "semana que vem" is next Monday; "mês que vem" and
//     "próximo mês" are the 1st of next month; "fim do mês" is the last day
//     of this month; "meio do mês" the next 15th. When the message reports a
//     payment already made, day and weekday references resolve backwards
//     ("paguei dia 20" is the last 20th).
//   - Unknown locales fall back to pt-BR; "en-US" finds "en".
//   - A message that is only a bracketed placeholder ("<áudio>",
//     "[figurinha]") is unknown; so is a greeting followed by several
//     words the lexicon does not know (off-topic chat), a greeting with a
//     question holding two words foreign to greetings ("oi, vc sabe se a
//     farmácia abre domingo?"), and a yes/no of four words or more with
//     two such words, one unknown ("ok, vou ver o jogo"). Words of the
//     greeting, thanks and yes/no rules, SKIP and SOCIAL ("bah", "tchê",
//     "moça") are not foreign.
//   - A '?' right after a tag word ("pago amanhã, ok?") does not turn a
//     dated commitment into a question.
//   - A retraction word ("brincadeira", "pera", "just kidding", "es
//     broma") ends a clause, and with an "it is me" makes the message
//     affirmative over a "não" before it: "não… brincadeira, sou eu sim".
//   - Topics favour precision over recall: third_party wants a role word
//     with a relative or carer ("sou a esposa dele", "é o celular da
//     minha mãe"), never a relative alone ("minha mãe tá internada");
//     deceased wants a death word, and "morreu" with a thing ("meu
//     celular morreu") is no death; self wants "sou eu"-like wording, not
//     a bare yes; opt_in wants resuming messages, not "voltar a pagar";
//     installment wants the singular noun with something that singles
//     one installment out or is done with it (its boleto or Pix, its due
//     date, receiving or paying it), never a split ("parcelar em 3x",
//     "3 parcelas", "parcela pra mim?").
//     The writer's own relative dying ("minha mãe faleceu") is deceased
//     too; the flows decide by context whom it concerns.
//
// Confidence is the winning rule's weight, lowered when several strong
// intents competed or many words went unrecognised; unknown stays ≤ 0.5.
//
// Language (detect.go): Detect and ClassifyDetected tell pt-BR, en and es
// apart per message from the data alone: every word a locale's lexicon
// knows is evidence for it, split between the locales sharing it, and the
// [detect] cues of <locale>.detect.nlu (function words, letters such as ç
// and ñ) weigh double. One-word messages and close calls return "" so the
// caller keeps the language it had; a wrong language costs more than none,
// since the answer would be in a language the person did not write.
//
// Tuning: corpus_test.go measures the labelled corpus and the dev sets
// (go test -run Corpus -v prints accuracy per intent and a confusion
// summary; -nlu.show=train lists misses of one split from the package
// directory), and explain_test.go shows how a message was read.
//
// It imports bot (for the types) and locales (for the data) only.
package nlu
