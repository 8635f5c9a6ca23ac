// Routes: the login page outside the layout, every screen inside it; signed-out visits go to login and come back.
import { createRouter, createWebHistory, type Router } from 'vue-router'
import { useSession } from '@/stores/session'
import { homeScreen, screens } from './screens'

export function makeRouter(): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { title: '登录' } },
      {
        path: '/',
        component: () => import('@/layout/AppLayout.vue'),
        name: 'home',
        children: [
          ...screens,
          {
            path: 'forbidden',
            name: 'forbidden',
            component: () => import('@/views/ForbiddenView.vue'),
            meta: { title: '无权访问' },
          },
        ],
      },
      { path: '/:rest(.*)*', name: 'missing', component: () => import('@/views/MissingView.vue'), meta: { title: '页面不存在' } },
    ],
  })

  router.beforeEach(async (to) => {
    const session = useSession()
    if (to.name === 'login' || to.name === 'missing') return true
    if (!session.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
    if (!session.me) {
      try {
        await session.loadMe()
      } catch {
        if (!session.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
        return true // the layout shows the error; the route itself still renders its own state
      }
    }
    if (to.name === 'home') return { name: homeScreen(session.can), replace: true }
    if (to.meta.action && !session.can(to.meta.action)) return { name: 'forbidden' }
    return true
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} - 如皋市工况用电监控平台` : '如皋市工况用电监控平台'
  })
  return router
}
