/*
 * bt_queue.c — the virtual clock's event queue: a binary heap ordered by
 * (due time, push sequence). See bt_queue.h.
 */
#include "bt_queue.h"

#include <stdlib.h>
#include <string.h>

void
btq_init(struct bt_queue *q)
{
	memset(q, 0, sizeof(*q));
}

void
btq_free(struct bt_queue *q)
{
	free(q->h);
	memset(q, 0, sizeof(*q));
}

static bool
btq_before(const struct bt_ev *a, const struct bt_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int
btq_push(struct bt_queue *q, const struct bt_ev *ev)
{
	size_t i, parent;

	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 256;
		struct bt_ev *nh = realloc(q->h, ncap * sizeof(*nh));

		if (nh == NULL)
			return -1;
		q->h = nh;
		q->cap = ncap;
	}
	i = q->n++;
	q->h[i] = *ev;
	q->h[i].seq = q->seq++;
	/* sift up */
	while (i > 0) {
		struct bt_ev tmp;

		parent = (i - 1) / 2;
		if (!btq_before(&q->h[i], &q->h[parent]))
			break;
		tmp = q->h[i];
		q->h[i] = q->h[parent];
		q->h[parent] = tmp;
		i = parent;
	}
	return 0;
}

bool
btq_pop(struct bt_queue *q, struct bt_ev *out)
{
	size_t i = 0, l, r, m;

	if (q->n == 0)
		return false;
	*out = q->h[0];
	q->h[0] = q->h[--q->n];
	/* sift down */
	for (;;) {
		struct bt_ev tmp;

		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < q->n && btq_before(&q->h[l], &q->h[m]))
			m = l;
		if (r < q->n && btq_before(&q->h[r], &q->h[m]))
			m = r;
		if (m == i)
			break;
		tmp = q->h[i];
		q->h[i] = q->h[m];
		q->h[m] = tmp;
		i = m;
	}
	return true;
}

int64_t
btq_next(const struct bt_queue *q)
{
	return q->n > 0 ? q->h[0].t : INT64_MAX;
}

size_t
btq_len(const struct bt_queue *q)
{
	return q->n;
}

int64_t
btc_arrival(struct bt_chan *c, int64_t t, int64_t lat)
{
	int64_t a = t + (lat > 0 ? lat : 0);

	if (a < c->last)
		a = c->last;
	c->last = a;
	return a;
}
